"""dbt command lines and environment, built by small pure functions (unit-tested)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dagster_project.defs.settings import PipelineSettings

DAILY_SELECTION = "tag:daily"
REPORTING_SELECTION = "tag:post_close"
ALERT_SELECTION = "tag:alerts"
CLOSE_EXCLUSION = "tag:daily tag:post_close tag:alerts"

# Read by the close_month() macro when models execute. Not a --vars value: dbt
# re-parses the whole project whenever its vars change, so every close would
# parse; an environment variable read only at execution leaves parsing alone.
CLOSE_MONTH_VARIABLE = "PARTNER_BILLING_CLOSE_MONTH"


def close_month_from_partition_key(partition_key: str) -> str:
    """A monthly partition key ('2025-03-01') as the close month value, validated."""
    month = date.fromisoformat(partition_key)
    if month.day != 1:
        raise ValueError(f"a close month starts on the 1st, got {partition_key}")
    return month.isoformat()


def dbt_environment(settings: PipelineSettings, partition_key: str | None) -> dict[str, str]:
    """The variables profiles.yml and the models read (env_var), from the settings and the partition.

    The close month is empty for an unpartitioned build, which then closes
    nothing. Paths are the settings' absolute ones: dbt runs from dbt/.
    """
    return {
        "WAREHOUSE_PATH": settings.warehouse_path,
        "LEDGER_PATH": settings.ledger_path,
        "DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "DUCKDB_THREADS": str(settings.duckdb_threads),
        CLOSE_MONTH_VARIABLE: "" if partition_key is None else close_month_from_partition_key(partition_key),
    }


def build_args() -> list[str]:
    """`dbt build` without the unit tests and without dbt's JSON artifacts.

    The selection itself comes from the @dbt_assets definition, which
    dagster-dbt turns into --select/--exclude for the assets of the run. Unit
    tests check model logic on fixed inputs: they run in `make test`, not at
    every close. Dagster takes every result from dbt's event stream, so
    nothing reads manifest.json or run_results.json, and writing them is a
    cost of every invocation (the partial parse file is still written).
    """
    return ["build", "--exclude-resource-type", "unit_test", "--no-write-json"]


def dbt_target_path(warehouse_path: str) -> Path:
    """One dbt target folder per warehouse, kept between runs so dbt's partial parse is reused."""
    return Path(warehouse_path).resolve().parent / "dbt_target"
