"""dbt command lines, built by small pure functions (unit-tested)."""

from __future__ import annotations

import json
from datetime import date

DAILY_SELECTION = "tag:daily"
REPORTING_SELECTION = "tag:post_close"
CLOSE_EXCLUSION = "tag:daily tag:post_close"


def close_month_from_partition_key(partition_key: str) -> str:
    """A monthly partition key ('2025-03-01') as the dbt var value, validated."""
    month = date.fromisoformat(partition_key)
    if month.day != 1:
        raise ValueError(f"a close month starts on the 1st, got {partition_key}")
    return month.isoformat()


def close_vars(partition_key: str) -> str:
    return json.dumps({"close_month": close_month_from_partition_key(partition_key)})


def build_args(partition_key: str | None = None) -> list[str]:
    """`dbt build`, with the close month when the assets are month-partitioned.

    The selection itself comes from the @dbt_assets definition, which
    dagster-dbt turns into --select/--exclude for the assets of the run.
    """
    args = ["build"]
    if partition_key is not None:
        args += ["--vars", close_vars(partition_key)]
    return args
