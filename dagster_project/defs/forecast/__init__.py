from dagster_project.defs.forecast.definitions import defs

__all__ = ["defs"]
