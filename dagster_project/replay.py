"""`partner-billing run`: replay the schedule through the Dagster definitions.

For each month not yet closed, from the first month through the one asked
for, it launches the runs of that month's close plan (dagster_project/defs/
close/plan.py), the plan the schedule and the close sensor launch: the ingest
the close needs, then the close. The one difference is a plain option of the
plan: a replay closes each month up to its emission, then evaluates the alerts
and publishes once, after the last month that closed. The jobs are the Definitions' own, run on the
instance of DAGSTER_HOME when it is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg

from dagster_project.defs.close.emission import closed_months
from dagster_project.defs.close.plan import INGEST_JOB, alerts_request, close_plan, publication_request
from dagster_project.defs.partitions import FIRST_LANDING_DATE, month_start, next_month
from dagster_project.defs.warehouse.failing_rows import ALL_ROWS, FIRST_ROWS
from dagster_project.defs.settings import PipelineSettings
from dagster_project.defs.stripe.definitions import StripeSettings
from ingest.landing import landed_dates


class BlockingCheckFailed(RuntimeError):
    """A run stopped on a blocking check or a failed step; the message names it."""


@dataclass
class ReplayReport:
    closed_months: list[str] = field(default_factory=list)
    refreshed_month: str | None = None
    ingest_runs: int = 0


def parse_month(text: str) -> date:
    return date.fromisoformat(f"{text}-01")


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


def _blocking_failure(name: str, result: dg.ExecuteInProcessResult) -> BlockingCheckFailed:
    """One sentence per failed blocking check, naming it, its first offending rows and where the rest are."""
    sentences = []
    for check in result.get_asset_check_evaluations():
        if check.passed or check.severity != dg.AssetCheckSeverity.ERROR:
            continue
        sentence = f"blocking check {check.check_name} on {check.asset_key.to_user_string()} failed"
        rows = check.metadata.get(f"{FIRST_ROWS}_json")
        if rows is not None and rows.value:
            sentence += f"; its first {len(rows.value)} row(s):\n" + "\n".join(
                "    " + ", ".join(f"{column}={value}" for column, value in row.items()) for row in rows.value)
        if ALL_ROWS in check.metadata:
            sentence += f"\n  every row: the query in {check.metadata[ALL_ROWS].value}, run on the warehouse"
        elif "failures" in check.metadata:
            sentence += f": {check.metadata['failures'].value}"
        sentences.append(sentence)
    if not sentences:
        sentences = [f"step {event.step_key} failed: {event.step_failure_data.error.message.strip().splitlines()[0]}"
                     for event in result.all_events if event.is_step_failure]
    return BlockingCheckFailed(f"{name} (run {result.run_id}) stopped: " + ("\n".join(sentences) or "run failed"))


def launch(defs: dg.Definitions, inst: dg.DagsterInstance, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    """Run what a schedule or sensor would launch for this request, in this process."""
    result = defs.resolve_job_def(request.job_name).execute_in_process(
        instance=inst, tags=dict(request.tags), partition_key=request.partition_key,
        raise_on_error=False, run_config=QUIET_LOGGING,
    )
    blocked = any(not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
                  for e in result.get_asset_check_evaluations())
    if blocked or not result.success:
        raise _blocking_failure(request.job_name, result)
    return result


def close(defs: dg.Definitions, inst: dg.DagsterInstance, settings: PipelineSettings, month: date,
          report: ReplayReport, **options) -> None:
    """Launch the runs of the month's close plan, asking the plan again after each, until the close has run."""
    launched: set[str] = set()
    while True:
        request = close_plan(settings, month, **options)[0]
        if request.run_key in launched:
            raise BlockingCheckFailed(f"{request.run_key} ran and is still needed: its landing dates did not ingest")
        launched.add(request.run_key)
        launch(defs, inst, request)
        if request.job_name != INGEST_JOB:
            return
        report.ingest_runs += 1


def replay(defs: dg.Definitions, through: str, on_progress=print) -> ReplayReport:
    """Close every month not yet closed through `through`, in order, then publish once.

    The first close ingests the landing dates up to the last close date, in
    one run. A failed close stops the replay; the months closed before it are
    still published, so nothing emitted goes unpublished.
    """
    settings = PipelineSettings.from_env()
    # Sending follows every close: a setting that stops it is reported before anything is emitted.
    problem = StripeSettings.from_env().configuration_problem()
    if problem:
        raise BlockingCheckFailed(problem)
    landed = landed_dates(Path(settings.landing_dir), since=FIRST_LANDING_DATE)
    if not landed:
        raise BlockingCheckFailed(f"no usage folders under {settings.landing_dir}/usage")
    first = settings.billing_start_date or month_start(landed[0])
    closed = closed_months(Path(settings.ledger_path))
    if closed:
        first = max(first, next_month(closed[-1]))
    months = months_between(first, parse_month(through))
    inst = instance()
    report = ReplayReport()
    if not months:
        if closed:
            # Nothing to close: rebuild the marts as of the latest close (after a
            # deleted warehouse, say); the emission sees the month closed and adds nothing.
            close(defs, inst, settings, closed[-1], report)
            launch(defs, inst, alerts_request(closed[-1], after_run=f"refresh-{closed[-1]:%Y-%m}"))
            report.refreshed_month = f"{closed[-1]:%Y-%m}"
        return report
    closed_now: list[date] = []
    failure: BlockingCheckFailed | None = None
    for month in months:
        try:
            close(defs, inst, settings, month, report, publish=False, ingest_through=next_month(months[-1]))
        except BlockingCheckFailed as exc:
            failure = exc
            break
        closed_now.append(month)
        on_progress(f"closed {month:%Y-%m}")
    report.closed_months = [f"{month:%Y-%m}" for month in closed_now]
    if closed_now:
        # Alerts first: the dates that waited for these closes fire, and the analytics file shows them.
        launch(defs, inst, alerts_request(closed_now[-1], after_run=f"replay-{closed_now[-1]:%Y-%m}"))
        launch(defs, inst, publication_request(closed_now[-1]))
        on_progress(f"published {closed_now[-1]:%Y-%m}: reporting marts, statements, analytics file, Stripe")
    if failure:
        raise failure
    return report
