from dagster_project.defs.alerts.definitions import defs

__all__ = ["defs"]
