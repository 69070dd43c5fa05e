from dagster_project.defs.ingest.definitions import defs

__all__ = ["defs"]
