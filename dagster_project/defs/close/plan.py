"""The close plan: the runs that close a service month, in order (SPEC §5.6).

One definition of what a close is, shared by every way a close starts: the
monthly schedule launches the plan's first run, the `close_when_ingested`
sensor launches the next one after each ingest for the close succeeds, and
`partner-billing run` launches every run of it in turn. A plan is computed
from the landing zone and the warehouse as they are now, so asking again after
a run has finished gives what is left: at most one ingest (the landing dates
up to the close date never ingested or whose files changed since, else the
dates whose unknown tenants became known), then the close itself. It reads
the landing zone and ingest's state file, never the warehouse, so a sensor
asking for it blocks no writer.
"""

from __future__ import annotations

from datetime import date

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from dagster_project.defs.ingest.readiness import dates_to_ingest, dates_with_newly_known_tenants
from dagster_project.defs.partitions import next_month
from dagster_project.defs.run_tags import close_tags
from dagster_project.defs.settings import PipelineSettings

INGEST_JOB = "ingest_job"
CLOSE_JOB = "close_job"
EMIT_JOB = "close_emit_job"
PUBLISH_JOB = "close_publish_job"
ALERTS_JOB = "alerts_job"



def ingest_request(month: date, first: date, last: date) -> dg.RunRequest:
    """One single-run ingest of the landing dates first..last for the close of `month`."""
    return dg.RunRequest(
        run_key=f"close-{month:%Y-%m}-ingest-{first}-{last}",
        job_name=INGEST_JOB,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
            **close_tags(month, "ingest"),
        },
    )


def publication_request(month: date) -> dg.RunRequest:
    """What a close does after its emission, as of `month`: reporting marts, statements, analytics, Stripe."""
    return dg.RunRequest(
        run_key=f"close-{month:%Y-%m}-publish",
        job_name=PUBLISH_JOB,
        partition_key=month.isoformat(),
        tags=close_tags(month, "publish"),
    )


def alerts_request(month: date | None, after_run: str) -> dg.RunRequest:
    """Alert evaluation and delivery after a close (or its publication) of `month`, once per run it follows."""
    return dg.RunRequest(
        run_key=f"alerts-after-{after_run}",
        job_name=ALERTS_JOB,
        tags=close_tags(month, "alerts") if month else {},
    )


def close_plan(settings: PipelineSettings, month: date, *, publish: bool = True,
               ingest_through: date | None = None) -> list[dg.RunRequest]:
    """The runs still needed to close `month`, in order; the first is the one to launch next.

    `publish=False` ends the plan at the emission (close_emit_job instead of
    close_job), for a replay that closes several months and publishes once,
    after the last, with `publication_request`. `ingest_through` widens the
    ingest to a later close date, so a replay ingests once for all its months:
    each close reads only usage landed up to its own close date, so the
    result is the same.
    """
    close_date = next_month(month)
    through = max(close_date, ingest_through or close_date)
    needed = dates_to_ingest(settings, through) or dates_with_newly_known_tenants(settings, through)
    plan = [ingest_request(month, min(needed), max(needed))] if needed else []
    plan.append(dg.RunRequest(
        run_key=f"close-{month:%Y-%m}",
        job_name=CLOSE_JOB if publish else EMIT_JOB,
        partition_key=month.isoformat(),
        tags=close_tags(month, "close" if publish else "emit"),
    ))
    return plan
