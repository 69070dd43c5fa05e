from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.accounts import load_accounts
from ingest.usage import PartitionResult, ingest_usage_partition
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
            return ingest_usage_partition(
                con, self.landing, date.fromisoformat(landing_date), METRICS, self.billing_start
            )

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def usage_dir(self, landing_date: str) -> Path:
        return self.landing / "usage" / landing_date


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path)
    write_accounts(warehouse.landing)
    warehouse.load_accounts()
    return warehouse
