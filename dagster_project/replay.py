"""`partner-billing run`: replay the schedule through the Dagster definitions.

For each month not yet closed, from the first month through the one asked
for: ingest every landing date up to that month's close date (one single-run
backfill per contiguous range of dates), re-ingest partitions whose
unknown_tenant rejects now have a tenant, then close it up to the emission;
after the last, publish once (reporting marts, statements, analytics, Stripe).
The jobs are the Definitions' own, run on the instance of DAGSTER_HOME when it
is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from dagster_project.defs.close.emission import closed_months
from dagster_project.defs.partitions import next_month
from dagster_project.defs.ingest.readiness import dates_with_newly_known_tenants, missing_dates
from dagster_project.defs.settings import PipelineSettings
from ingest.usage import landed_dates


class BlockingCheckFailed(RuntimeError):
    """A run stopped on a blocking check or a failed step; the message names it."""


@dataclass
class ReplayReport:
    closed_months: list[str] = field(default_factory=list)
    refreshed_month: str | None = None
    ingest_runs: int = 0


def month_start(value: date) -> date:
    return value.replace(day=1)


def parse_month(text: str) -> date:
    return date.fromisoformat(f"{text}-01")


def contiguous_ranges(dates: list[date]) -> list[tuple[date, date]]:
    """Sorted, de-duplicated dates grouped into inclusive contiguous ranges."""
    ranges: list[tuple[date, date]] = []
    for d in sorted(set(dates)):
        if ranges and d == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], d)
        else:
            ranges.append((d, d))
    return ranges


def months_between(first: date, last: date) -> list[date]:
    months, current = [], month_start(first)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def instance() -> dg.DagsterInstance:
    import os

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


QUIET_LOGGING = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run_job(defs: dg.Definitions, name: str, inst: dg.DagsterInstance, tags: dict[str, str]) -> dg.ExecuteInProcessResult:
    result = defs.resolve_job_def(name).execute_in_process(
        instance=inst, tags=tags, raise_on_error=False, run_config=QUIET_LOGGING
    )
    failed_checks = [
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    if failed_checks or not result.success:
        failed_steps = [ev.step_key for ev in result.all_events if ev.event_type_value == "STEP_FAILURE"]
        detail = "; ".join(
            ([f"blocking check failed: {', '.join(failed_checks)}"] if failed_checks else [])
            + ([f"failed step: {', '.join(failed_steps)}"] if failed_steps else [])
        )
        raise BlockingCheckFailed(f"{name} (run {result.run_id}) stopped: {detail or 'run failed'}")
    return result


def ingest_through(defs: dg.Definitions, inst: dg.DagsterInstance, settings: PipelineSettings,
                   close_date: date, report: ReplayReport) -> None:
    """Ingest what the close needs: new landing dates, then dates whose unknown tenants are now known."""
    for find in (missing_dates, dates_with_newly_known_tenants):
        for start, end in contiguous_ranges(find(settings, close_date)):
            run_job(defs, "ingest_job", inst, {
                ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
            })
            report.ingest_runs += 1


def publish(defs: dg.Definitions, inst: dg.DagsterInstance, months: list[date]) -> None:
    """What close_job does after the emission, once for the months a replay closed.

    The reporting marts, the analytics file and the Stripe sending are as of
    the latest closed month, whose publication covers the earlier ones; only
    partner statements are per month, so the earlier months' are written in
    one more run.
    """
    run_job(defs, "publish_job", inst, {"dagster/partition": months[-1].isoformat()})
    if len(months) > 1:
        run_job(defs, "partner_statements_job", inst, {
            ASSET_PARTITION_RANGE_START_TAG: months[0].isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: months[-2].isoformat(),
        })


def replay(defs: dg.Definitions, through: str, on_progress=print) -> ReplayReport:
    """Close every month not yet closed through `through`, in order, then publish once.

    Landing dates up to the last close date are ingested first, in one pass:
    each close only reads usage landed up to its own close date, so this gives
    the same result as ingesting before each close, with one run instead of one
    per month. Each month is closed up to its emission (emit_job); what the
    schedule's close_job does after that runs once, after the last month, or
    after the last month that closed when a close fails, so nothing emitted
    goes unpublished.
    """
    settings = PipelineSettings.from_env()
    landed = landed_dates(Path(settings.landing_dir))
    if not landed:
        raise BlockingCheckFailed(f"no usage folders under {settings.landing_dir}/usage")
    first = settings.billing_start_date or month_start(landed[0])
    closed = closed_months(Path(settings.ledger_path))
    if closed:
        first = max(first, next_month(closed[-1]))
    months = months_between(first, parse_month(through))
    inst = instance()
    report = ReplayReport()
    last = months[-1] if months else (closed[-1] if closed else None)
    if last is None:
        return report
    ingest_through(defs, inst, settings, next_month(last), report)
    on_progress(f"ingested landing dates through {next_month(last)} ({report.ingest_runs} run(s))")
    if not months:
        # Nothing to close: rebuild the marts as of the latest close (after a
        # deleted warehouse, say); the emission sees the month closed and adds nothing.
        run_job(defs, "close_job", inst, {"dagster/partition": last.isoformat()})
        report.refreshed_month = last.strftime("%Y-%m")
        return report
    closed_now: list[date] = []
    failure: BlockingCheckFailed | None = None
    for month in months:
        try:
            run_job(defs, "emit_job", inst, {"dagster/partition": month.isoformat()})
        except BlockingCheckFailed as exc:
            failure = exc
            break
        closed_now.append(month)
        on_progress(f"closed {month:%Y-%m}")
    report.closed_months = [f"{month:%Y-%m}" for month in closed_now]
    if closed_now:
        publish(defs, inst, closed_now)
        on_progress(f"published {closed_now[-1]:%Y-%m}: reporting marts, statements, analytics file, Stripe")
    if failure:
        raise failure
    return report
