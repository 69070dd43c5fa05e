from dagster_project.defs.exports.definitions import defs

__all__ = ["defs"]
