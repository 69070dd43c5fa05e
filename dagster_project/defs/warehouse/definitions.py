"""dbt models as Dagster assets: three sets, one per partitioning and stage.

- daily: landing-date partitioned, in the ingest job (incremental daily grain);
- close: month partitioned, everything up to the proposed lines and their checks;
- reporting: month partitioned, the marts over the ledger, after the emission.
"""

import sys
from datetime import date
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.partitions import landing_dates, next_month, service_months
from dagster_project.defs.ingest.readiness import require_ingested
from dagster_project.defs.settings import DUCKDB_POOL, PipelineSettings
from dagster_project.defs.warehouse.cli_args import (
    CLOSE_EXCLUSION,
    DAILY_SELECTION,
    REPORTING_SELECTION,
    build_args,
)
from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.defs.warehouse.translator import PartnerBillingTranslator

translator = PartnerBillingTranslator()
# Months close one at a time, in order: never several in one run.
ONE_MONTH_PER_RUN = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=DAILY_SELECTION,
    dagster_dbt_translator=translator,
    partitions_def=landing_dates,
    backfill_policy=dg.BackfillPolicy.single_run(),
    name="daily_dbt_models",
    pool=DUCKDB_POOL,
)
def daily_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """The incremental daily grain picks up every re-ingested landing date by itself."""
    yield from dbt.cli(build_args(), context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=CLOSE_EXCLUSION,
    dagster_dbt_translator=translator,
    partitions_def=service_months,
    backfill_policy=ONE_MONTH_PER_RUN,
    name="close_dbt_models",
    pool=DUCKDB_POOL,
)
def close_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: PipelineSettings):
    """The close refuses to start while a landing date up to its close date is not ingested."""
    close_date = next_month(date.fromisoformat(context.partition_key))
    require_ingested(settings, close_date)
    yield from dbt.cli(build_args(context.partition_key), context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=REPORTING_SELECTION,
    dagster_dbt_translator=translator,
    partitions_def=service_months,
    backfill_policy=ONE_MONTH_PER_RUN,
    name="reporting_dbt_models",
    pool=DUCKDB_POOL,
)
def reporting_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(build_args(context.partition_key), context=context).stream()


def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[daily_dbt_models, close_dbt_models, reporting_dbt_models],
        # The dbt installed beside this Python, whether or not the venv is activated.
        resources={"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt"))},
    )
