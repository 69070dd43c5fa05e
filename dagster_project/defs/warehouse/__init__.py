from dagster_project.defs.warehouse.definitions import defs

__all__ = ["defs"]
