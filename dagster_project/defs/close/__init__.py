from dagster_project.defs.close.definitions import defs

__all__ = ["defs"]
