"""The monthly close: dbt build -> checks -> ledger emission -> reporting marts."""

from datetime import date, timedelta
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from dagster_project.defs.close.emission import emit_close
from dagster_project.defs.ingest.definitions import ingest_job
from dagster_project.defs.ingest.readiness import dates_with_newly_known_tenants, missing_dates
from dagster_project.defs.partitions import next_month, service_months
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
            "invoices_by_currency": dg.MetadataValue.json(emission.invoices_by_currency),
        }
    )


# A close in two parts: what closes the month (checks, then the emission), and
# what publishes it (reporting marts, partner statements, analytics, Stripe).
EMISSION = dg.AssetSelection.assets(close_dbt_models, emitted_invoice_lines)
PUBLICATION = dg.AssetSelection.assets(reporting_dbt_models) | dg.AssetSelection.groups("exports", "stripe")

close_job = dg.define_asset_job(
    "close_job",
    selection=EMISSION | PUBLICATION,
    description="Close a service month: build and check the proposed lines, emit them, rebuild the reporting "
    "marts, write partner statements, publish the analytics file, send what is unsent to Stripe.",
)

emit_job = dg.define_asset_job(
    "emit_job",
    selection=EMISSION,
    description="The first part of close_job: build and check the proposed lines, emit them. `partner-billing "
    "run` closes each month but the last with it, then runs publish_job once.",
)

publish_job = dg.define_asset_job(
    "publish_job",
    selection=PUBLICATION,
    description="The second part of close_job, as of the latest closed month: rebuild the reporting marts, write "
    "its partner statements, publish the analytics file, send what is unsent to Stripe.",
)

CLOSE_MONTH_TAG = "partner_billing/close_month"


def ingest_request_for_close(settings: PipelineSettings, month: date, run_key: str) -> dg.RunRequest:
    """One single-run ingest from the first landing date the close still needs through its close date."""
    close_date = next_month(month)
    needed = missing_dates(settings, close_date) + dates_with_newly_known_tenants(settings, close_date)
    start = min(needed, default=close_date)
    return dg.RunRequest(
        run_key=run_key,
        job_name=ingest_job.name,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: close_date.isoformat(),
            CLOSE_MONTH_TAG: month.isoformat(),
        },
    )


@dg.schedule(job=ingest_job, cron_schedule="0 6 1 * *", execution_timezone="UTC")
def monthly_close_schedule(context: dg.ScheduleEvaluationContext, settings: PipelineSettings):
    """06:00 UTC on the 1st: ingest what closing last month needs; the sensor below then closes it."""
    month = (context.scheduled_execution_time.date().replace(day=1) - timedelta(days=1)).replace(day=1)
    return ingest_request_for_close(settings, month, run_key=f"close-{month:%Y-%m}-ingest")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_jobs=[ingest_job, close_job],
)
def close_when_ingested(context: dg.RunStatusSensorContext, settings: PipelineSettings):
    """After the close's ingest: re-ingest dates whose unknown tenants became known, else close."""
    tag = context.dagster_run.tags.get(CLOSE_MONTH_TAG)
    if not tag:
        return dg.SkipReason("not an ingest for a close")
    month = date.fromisoformat(tag)
    pending = dates_with_newly_known_tenants(settings, next_month(month))
    if pending:
        return ingest_request_for_close(
            settings, month, run_key=f"close-{month:%Y-%m}-reingest-{pending[0]}-{pending[-1]}"
        )
    return dg.RunRequest(run_key=f"close-{month:%Y-%m}", job_name=close_job.name, partition_key=month.isoformat())


def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[emitted_invoice_lines],
        jobs=[close_job, emit_job, publish_job],
        schedules=[monthly_close_schedule],
        sensors=[close_when_ingested],
    )
