"""The monthly close: dbt build -> checks -> ledger emission -> reporting marts."""

from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg

from dagster_project.defs.alerts.definitions import alerts_job
from dagster_project.defs.close.emission import emit_close
from dagster_project.defs.close.review import (
    adjustments_markdown,
    checks_markdown,
    credits_table,
    rejected_credit_notes_markdown,
    totals_table,
)
from dagster_project.defs.close.plan import CLOSE_JOB, EMIT_JOB, PUBLISH_JOB, alerts_request, close_plan
from dagster_project.defs.run_tags import CLOSE_MONTH_TAG
from dagster_project.defs.ingest.definitions import account_files, ingest_job
from dagster_project.defs.partitions import service_months
from dagster_project.defs.settings import DUCKDB_POOL, PipelineSettings
from dagster_project.defs.warehouse.definitions import ONE_MONTH_PER_RUN, close_dbt_models, reporting_dbt_models
from dagster_project.defs.warehouse.translator import LEDGER_EMISSION

PROPOSED = [dg.AssetKey(["marts", name]) for name in
            ("fct_proposed_invoice_lines", "fct_proposed_statement_rows", "fct_proposed_credit_notes",
             "fct_proposed_credit_blocks", "fct_proposed_credit_entries", "fct_proposed_credit_purchases",
             "fct_proposed_credit_transfers", "fct_proposed_credit_top_ups", "dim_partners", "dim_tenants")]


BLOCKING_CHECKS = checks_markdown(close_dbt_models.check_specs)


@dg.multi_asset(
    specs=[dg.AssetSpec(
        LEDGER_EMISSION,
        deps=PROPOSED,
        group_name="close",
        description="The close of a service month, for finance to review and sign off: appends the checked "
                    "proposed lines, statement rows, credit notes, prepaid credit (blocks, entries, purchases, "
                    "transfers, top-ups) and account snapshots of the month to the ledger, once. Its "
                    "materialization shows the invoice totals per currency (partner and direct), the credit "
                    "purchased, drawn, expired and transferred per currency, the adjustments, the credit notes "
                    "rejected and every blocking check that passed "
                    "before it; a check that fails stops the close before this step, on the asset it checks, "
                    "with its offending rows, and is named on this asset as `blocked_by`. A month shows as "
                    "missing until it is closed: months after the last landed usage have nothing to close yet.",
    )],
    partitions_def=service_months,
    backfill_policy=ONE_MONTH_PER_RUN,
    pool=DUCKDB_POOL,
)
def monthly_close(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
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
            "totals": totals_table(emission.totals),
            "adjustments": dg.MetadataValue.md(adjustments_markdown(emission.adjustment_lines)),
            "credits": credits_table(emission.credits),
            "credit_notes_accepted": emission.credit_notes_accepted,
            "credit_notes_rejected": dg.MetadataValue.md(rejected_credit_notes_markdown(emission.credit_notes_rejected)),
            "checks_passed_before_emission": dg.MetadataValue.md(BLOCKING_CHECKS),
        }
    )


# A close in two parts: what closes the month (account files as they are at
# the close, checks, then the emission), and what publishes it (reporting
# marts, forecast, partner statements, analytics, Stripe). Alerts, which read the closes,
# run after a close in a run of their own (alerts_job).
EMISSION = dg.AssetSelection.assets(account_files, close_dbt_models, monthly_close)
PUBLICATION = dg.AssetSelection.assets(reporting_dbt_models) | dg.AssetSelection.groups("forecast", "exports", "stripe")

close_job = dg.define_asset_job(
    CLOSE_JOB,
    selection=EMISSION | PUBLICATION,
    description="Close a service month: load the account files, build and check the proposed lines, emit them, "
    "rebuild the reporting marts and the forecast, write partner statements, publish the analytics file, send what is unsent "
    "to Stripe.",
)

close_emit_job = dg.define_asset_job(
    EMIT_JOB,
    selection=EMISSION,
    description="The first part of close_job, up to the emission: a replay closes each month with it and "
    "publishes once, after the last.",
)

close_publish_job = dg.define_asset_job(
    PUBLISH_JOB,
    selection=PUBLICATION,
    description="The second part of close_job, as of the latest closed month: rebuild the reporting marts and the forecast, "
    "write every closed month's missing partner statements, publish the analytics file, send what is unsent to Stripe.",
)


def month_closed_by(scheduled: datetime) -> date:
    """The month a close scheduled on the 1st closes: the one that has just ended."""
    return (scheduled.date().replace(day=1) - timedelta(days=1)).replace(day=1)


@dg.schedule(job=ingest_job, cron_schedule="0 6 1 * *", execution_timezone="UTC",
             description="06:00 UTC on the 1st: start closing the month that has just ended. Launches the first "
                         "run of its close plan (the ingest the close needs); the close_when_ingested sensor "
                         "launches the rest.")
def monthly_close_schedule(context: dg.ScheduleEvaluationContext, settings: PipelineSettings):
    return close_plan(settings, month_closed_by(context.scheduled_execution_time))[0]


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_jobs=[ingest_job, close_job],
    description="After an ingest run of a close succeeds, launches the next run of that close's plan: another "
                "ingest (dates whose unknown tenants became known) or the close itself, once by run key.",
)
def close_when_ingested(context: dg.RunStatusSensorContext, settings: PipelineSettings):
    tag = context.dagster_run.tags.get(CLOSE_MONTH_TAG)
    if not tag:
        return dg.SkipReason("not an ingest for a close")
    return close_plan(settings, date.fromisoformat(f"{tag}-01"))[0]


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[close_job, close_publish_job],
    request_job=alerts_job,
    description="After a close or its publication succeeds, evaluates the alert rules again: the landing dates "
                "that waited for that close's credit balances fire now. Once per run, by run key.",
)
def alerts_after_close(context: dg.RunStatusSensorContext):
    month = date.fromisoformat(f"{context.dagster_run.tags[CLOSE_MONTH_TAG]}-01") \
        if CLOSE_MONTH_TAG in context.dagster_run.tags else None
    return alerts_request(month, after_run=context.dagster_run.run_id)


def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[monthly_close],
        jobs=[close_job, close_emit_job, close_publish_job],
        schedules=[monthly_close_schedule],
        sensors=[close_when_ingested, alerts_after_close],
    )
