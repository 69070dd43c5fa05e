from __future__ import annotations

import os
import subprocess

# The partitions are read once, when the definitions first load in this
# process; tests closing months of several years in it need them all.
# Subprocesses get the environment as a test sets it, so they derive the
# partitions from their own landing zone, as every run does.
os.environ["PARTITIONS_START"] = "2020-01"

from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.dbt_project import DBT_EXECUTABLE
from dagster_project.defs.paths import DBT_PROJECT_DIR
from dagster_project.defs.settings import DEFAULTS, PipelineSettings
from dagster_project.ledger_tables import ensure_ledger_tables
from ingest.accounts import load_accounts
from ingest.schema import ensure_raw_schema
from ingest.usage import PartitionResult, ingest_usage_partitions
from tests.landing import write_accounts

METRICS = ["active_users", "api_calls", "compute_minutes", "storage_gb"]


class Warehouse:
    """A real DuckDB file plus a landing zone, both in a temporary directory."""

    def __init__(self, root: Path):
        self.landing = root / "landing"
        self.path = root / "warehouse.duckdb"
        self.billing_start: date | None = None

    def load_accounts(self) -> None:
        with duckdb.connect(str(self.path)) as con:
            load_accounts(con, self.landing)

    def ingest(self, landing_date: str) -> PartitionResult:
        with duckdb.connect(str(self.path)) as con:
            [result] = ingest_usage_partitions(
                con, self.landing, [date.fromisoformat(landing_date)], METRICS, self.billing_start
            )
            return result

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def usage_dir(self, landing_date: str) -> Path:
        return self.landing / "usage" / landing_date


@pytest.fixture(autouse=True)
def environment_as_it_was():
    """`partner-billing run` turns its flags into environment variables (SPEC §7); a test that calls
    it in this process must not leave them to the next test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path)
    write_accounts(warehouse.landing)
    warehouse.load_accounts()
    return warehouse


# Every variable the pipeline reads, so a test sees only what it sets itself.
PIPELINE_VARIABLES = (*DEFAULTS, "DAGSTER_HOME")


def clear_pipeline_environment(mp: pytest.MonkeyPatch) -> None:
    for name in PIPELINE_VARIABLES:
        mp.delenv(name, raising=False)


def settings_in(root: Path) -> PipelineSettings:
    """Settings whose files all live under `root`."""
    return PipelineSettings(landing_dir=str(root / "landing"), warehouse_path=str(root / "w.duckdb"),
                            ledger_path=str(root / "l.duckdb"), analytics_path=str(root / "a.duckdb"),
                            exports_dir=str(root / "exports"))


def run_arguments(root: Path, through: str, landing: Path | None = None) -> list[str]:
    """`partner-billing run` with every file under `root`."""
    return ["run", "--through", through, "--landing", str(landing or root / "landing"),
            "--warehouse", str(root / "w.duckdb"), "--ledger", str(root / "l.duckdb"),
            "--analytics", str(root / "a.duckdb"), "--exports", str(root / "exports")]


def run_dbt(root: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    """dbt by hand on the warehouse and ledger under `root`, with the tables a close has before dbt starts:
    the raw tables ingest owns and the ledger tables the emission owns."""
    warehouse, ledger = root / "w.duckdb", root / "l.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
    with duckdb.connect(str(ledger)) as con:
        ensure_ledger_tables(con)
    env = {**os.environ, "WAREHOUSE_PATH": str(warehouse), "LEDGER_PATH": str(ledger), **variables}
    return subprocess.run([DBT_EXECUTABLE, *args, "--profiles-dir", ".", "--target-path", str(root / "target")],
                          cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
