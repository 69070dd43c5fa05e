"""Partitions: landing dates (daily ingest) and service months (the close).

They start at the go-live, so the UI shows no months before it as missing:
service months at `BILLING_START`, else at the month of the first landing
date; landing dates at the month of the first landing date, or of
`BILLING_START` when that is earlier, so every landed folder is a partition
and its rows are read and reconciled (usage before the go-live is rejected
row by row). `PARTITIONS_START` overrides both. With nothing landed and no
go-live set they start at the current month. They are read when the
definitions load, and every `partner-billing run` and every code-location
load of `dagster dev` loads them afresh.

Time-window partitions stop at the current time; the daily definition keeps
today's partition (end_offset=1) so a folder landing today can be ingested,
and a month becomes a partition once it has ended, ready to close.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg

from dagster_project.defs.settings import env
from ingest.landing import landed_dates


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    """The first day of the month after `month`'s month: a month's close date."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_starts(landing_dir: Path, billing_start: str, override: str, today: date) -> tuple[date, date]:
    """(first landing date partition, first service month partition) for these settings and landed folders."""
    if override:
        start = date.fromisoformat(f"{override}-01")
        return start, start
    go_live = date.fromisoformat(f"{billing_start}-01") if billing_start else None
    landed = landed_dates(landing_dir)
    first_landed = month_start(landed[0]) if landed else None
    known = [d for d in (go_live, first_landed) if d is not None]
    if not known:
        return month_start(today), month_start(today)
    return min(known), go_live or first_landed


FIRST_LANDING_DATE, FIRST_SERVICE_MONTH = partition_starts(
    Path(env("LANDING_DIR")), env("BILLING_START"), env("PARTITIONS_START"), datetime.now(UTC).date())

landing_dates = dg.DailyPartitionsDefinition(start_date=FIRST_LANDING_DATE.isoformat(), end_offset=1)
service_months = dg.MonthlyPartitionsDefinition(start_date=FIRST_SERVICE_MONTH.isoformat())
