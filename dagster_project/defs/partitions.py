"""Partitions: landing dates (daily ingest) and service months (the close).

Time-window partitions stop at the current time; the daily definition keeps
today's partition (end_offset=1) so a folder landing today can be ingested,
and a month becomes a partition once it has ended, ready to close.
"""

from datetime import date

import dagster as dg

PARTITIONS_START = "2020-01-01"
# Usage folders dated before it are not ingested; ingest reports them (ingest.landing.unread_usage_entries).
FIRST_LANDING_DATE = date.fromisoformat(PARTITIONS_START)

landing_dates = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)
service_months = dg.MonthlyPartitionsDefinition(start_date=PARTITIONS_START)


def next_month(month: date) -> date:
    """The first day of the month after `month`'s month: a month's close date."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)
