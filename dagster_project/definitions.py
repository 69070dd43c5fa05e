"""The code location: one Definitions merged from a module per concern."""

import dagster as dg

from dagster_project.defs import alerts, close, exports, forecast, ingest, stripe, warehouse
from dagster_project.defs.settings import PipelineSettings


def build_definitions() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.Definitions(resources={"settings": PipelineSettings.from_env()}),
        ingest.defs(),
        warehouse.defs(),
        close.defs(),
        forecast.defs(),
        exports.defs(),
        stripe.defs(),
        alerts.defs(),
    )


defs = build_definitions()
