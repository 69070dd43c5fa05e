"""Tags on every run the pipeline launches, so the run list says what each run is for.

Close runs carry the month they close and their part of the close; ingest
runs started outside a close carry the landing date and what started them.
Runs started by hand in the UI carry none.
"""

from __future__ import annotations

from datetime import date

CLOSE_MONTH_TAG = "partner_billing/close_month"
RUN_KIND_TAG = "partner_billing/run_kind"
LANDING_DATE_TAG = "partner_billing/landing_date"


def close_tags(month: date, kind: str) -> dict[str, str]:
    """`kind`: ingest (what the close needs read first), close, emit, publish, alerts, or export (one statement)."""
    return {CLOSE_MONTH_TAG: f"{month:%Y-%m}", RUN_KIND_TAG: kind}


def ingest_tags(landing_date: str, kind: str) -> dict[str, str]:
    """`kind`: daily_ingest (the daily schedule) or landed_files (the landing sensor)."""
    return {LANDING_DATE_TAG: landing_date, RUN_KIND_TAG: kind}
