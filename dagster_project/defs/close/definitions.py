"""The monthly close: dbt build -> checks -> ledger emission -> reporting marts."""

from datetime import date
from pathlib import Path

import dagster as dg

from dagster_project.defs.close.emission import emit_close
from dagster_project.defs.partitions import service_months
from dagster_project.defs.settings import DUCKDB_POOL, PipelineSettings
from dagster_project.defs.warehouse.definitions import ONE_MONTH_PER_RUN, close_dbt_models, reporting_dbt_models
from dagster_project.defs.warehouse.translator import LEDGER_EMISSION

PROPOSED = [dg.AssetKey(["marts", name]) for name in
            ("fct_proposed_invoice_lines", "fct_proposed_statement_rows", "dim_partners", "dim_tenants")]


@dg.multi_asset(
    specs=[dg.AssetSpec(
        LEDGER_EMISSION,
        deps=PROPOSED,
        group_name="close",
        description="Appends the checked proposed lines, statement rows and account snapshots of the month to the ledger, once.",
    )],
    partitions_def=service_months,
    backfill_policy=ONE_MONTH_PER_RUN,
    pool=DUCKDB_POOL,
)
def emitted_invoice_lines(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    month = date.fromisoformat(context.partition_key)
    emission = emit_close(Path(settings.warehouse_path), Path(settings.ledger_path), month, context.run.run_id)
    if emission.already_closed:
        context.log.info(f"{month:%Y-%m} is already closed; nothing emitted")
    return dg.MaterializeResult(
        metadata={
            "close_month": f"{month:%Y-%m}",
            "already_closed": emission.already_closed,
            "invoice_lines": emission.lines,
            "adjustment_lines": emission.adjustments,
            "statement_rows": emission.statement_rows,
            "totals_minor_by_currency": dg.MetadataValue.json(emission.totals_minor_by_currency),
        }
    )


close_job = dg.define_asset_job(
    "close_job",
    selection=dg.AssetSelection.assets(close_dbt_models, emitted_invoice_lines, reporting_dbt_models),
    description="Close a service month: build and check the proposed lines, emit them, rebuild the reporting marts.",
)


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[emitted_invoice_lines], jobs=[close_job])
