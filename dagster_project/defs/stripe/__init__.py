from dagster_project.defs.stripe.definitions import defs

__all__ = ["defs"]
