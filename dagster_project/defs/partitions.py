"""Partitions: landing dates (daily ingest) and service months (the close).

Time-window partitions stop at the current time; the daily definition keeps
today's partition (end_offset=1) so a folder landing today can be ingested,
and a month becomes a partition once it has ended, ready to close.
"""

import dagster as dg

PARTITIONS_START = "2020-01-01"

landing_dates = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)
service_months = dg.MonthlyPartitionsDefinition(start_date=PARTITIONS_START)
