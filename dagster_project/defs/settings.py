"""Where the pipeline reads and writes: the one place configuration enters.

Every path and switch comes from the environment (SPEC §7), with the defaults
of the spec; `partner-billing run` flags are turned into these variables
before the definitions load.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.duckdb_files import connect

# All DuckDB writers share this pool; the instance limits it to 1 (dagster.yaml).
DUCKDB_POOL = "duckdb_writer"

ENV_DEFAULTS = {
    "LANDING_DIR": "data/landing",
    "WAREHOUSE_PATH": "data/warehouse.duckdb",
    "LEDGER_PATH": "data/ledger.duckdb",
    "ANALYTICS_PATH": "data/analytics.duckdb",
    "EXPORTS_DIR": "data/exports",
    "BILLING_START": "",
    "STRIPE_MODE": "outbox",
    "STRIPE_API_BASE": "",
    "STRIPE_REQUESTS_PER_SECOND": "25",
    "STRIPE_FINALIZE": "false",
    "DUCKDB_MEMORY_LIMIT": "5GB",
    "DUCKDB_THREADS": "2",
}


PATH_VARIABLES = ("LANDING_DIR", "WAREHOUSE_PATH", "LEDGER_PATH", "ANALYTICS_PATH", "EXPORTS_DIR")


def normalise_path_variables() -> None:
    """Make every path variable absolute, relative to where the process started.

    dbt runs as a subprocess from the dbt/ folder and reads the same variables
    through env_var, so both must see the same absolute file.
    """
    for name in PATH_VARIABLES:
        os.environ[name] = str(Path(env(name)).resolve())


def env(name: str) -> str:
    return os.environ.get(name, "").strip() or ENV_DEFAULTS[name]


class PipelineSettings(dg.ConfigurableResource):
    landing_dir: str
    warehouse_path: str
    ledger_path: str
    analytics_path: str
    exports_dir: str
    billing_start: str = ""
    duckdb_memory_limit: str = "5GB"
    duckdb_threads: int = 2

    @classmethod
    def from_env(cls) -> PipelineSettings:
        return cls(
            landing_dir=env("LANDING_DIR"),
            warehouse_path=env("WAREHOUSE_PATH"),
            ledger_path=env("LEDGER_PATH"),
            analytics_path=env("ANALYTICS_PATH"),
            exports_dir=env("EXPORTS_DIR"),
            billing_start=env("BILLING_START"),
            duckdb_memory_limit=env("DUCKDB_MEMORY_LIMIT"),
            duckdb_threads=int(env("DUCKDB_THREADS")),
        )

    @property
    def billing_start_date(self) -> date | None:
        if not self.billing_start:
            return None
        return date.fromisoformat(f"{self.billing_start}-01")

    @contextmanager
    def warehouse(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(
            Path(self.warehouse_path),
            read_only=read_only,
            memory_limit=self.duckdb_memory_limit,
            threads=self.duckdb_threads,
        ) as con:
            yield con

    @contextmanager
    def ledger(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(Path(self.ledger_path), read_only=read_only) as con:
            yield con
