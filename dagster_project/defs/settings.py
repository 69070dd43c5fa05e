"""Where the pipeline reads and writes: the one place configuration enters.

Every path and switch comes from the environment (SPEC §7), with the defaults
of the spec; `partner-billing run` flags are turned into these variables
before the definitions load.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.duckdb_files import connect

# All DuckDB writers share this pool; the instance limits it to 1 (dagster.yaml).
DUCKDB_POOL = "duckdb_writer"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    description: str


# Every variable the pipeline reads, with its default: the one table of
# settings. `.env.example` is this table written out (a test keeps them equal).
SETTINGS = (
    Setting("LANDING_DIR", "data/landing", "The landing zone (SPEC §2); never modified."),
    Setting("WAREHOUSE_PATH", "data/warehouse.duckdb", "The warehouse: raw tables and every dbt model; rebuildable."),
    Setting("LEDGER_PATH", "data/ledger.duckdb", "What is never rebuilt: emitted lines, snapshots, the Stripe ledger."),
    Setting("ANALYTICS_PATH", "data/analytics.duckdb", "The marts published for analysts after each run."),
    Setting("EXPORTS_DIR", "data/exports", "Partner statements, YYYY-MM/<billing_account_id>.csv."),
    Setting("BILLING_START", "", "Go-live month (YYYY-MM): usage dated earlier is rejected as before_billing_start."),
    Setting("PARTITIONS_START", "", "Optional (YYYY-MM): first partition of landing dates and service months; "
            "by default the go-live, else the first landing month."),
    Setting("STRIPE_MODE", "outbox", "outbox (no network: the exact requests go to a table) or live."),
    Setting("STRIPE_API_KEY", "", "Only for STRIPE_MODE=live; read when sending, never stored or logged."),
    Setting("STRIPE_API_BASE", "", "Optional: a local Stripe-compatible server."),
    Setting("STRIPE_REQUESTS_PER_SECOND", "25", "Client-side rate limit for live sending."),
    Setting("STRIPE_FINALIZE", "false", "Whether live sending finalizes the draft invoices."),
    Setting("ALERT_MODE", "outbox", "outbox (no network: the exact webhook requests go to a table) or live."),
    Setting("ALERT_WEBHOOK_SECRET", "", "Signs live webhooks (HMAC-SHA256); read when sending, never stored or logged."),
    Setting("ALERT_WEBHOOK_HOSTS", "", "Comma-separated host names live alerts may be posted to; no other is called."),
    Setting("PLATFORM_NAME", "Partner Billing Platform", "The platform's name: never printed on a partner's "
            "white-label statement (a statement naming it is refused)."),
    Setting("DUCKDB_MEMORY_LIMIT", "5GB", "DuckDB memory limit of ingest and dbt."),
    Setting("DUCKDB_THREADS", "2", "DuckDB threads of ingest and dbt."),
)
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


def env(name: str) -> str:
    """A setting's value: the environment's, else its default."""
    return os.environ.get(name, "").strip() or DEFAULTS[name]


def env_example() -> str:
    """The text of `.env.example`."""
    lines = ["# Every variable is optional; the defaults are shown. Flags of `partner-billing run` override them."]
    for setting in SETTINGS:
        lines += [f"# {setting.description}", f"{setting.name}={setting.default}"]
    return "\n".join(lines) + "\n"


class PipelineSettings(dg.ConfigurableResource):
    landing_dir: str
    warehouse_path: str
    ledger_path: str
    analytics_path: str
    exports_dir: str
    billing_start: str = DEFAULTS["BILLING_START"]
    duckdb_memory_limit: str = DEFAULTS["DUCKDB_MEMORY_LIMIT"]
    duckdb_threads: int = int(DEFAULTS["DUCKDB_THREADS"])
    platform_name: str = DEFAULTS["PLATFORM_NAME"]

    @classmethod
    def from_env(cls) -> PipelineSettings:
        """Paths made absolute against the current folder: dbt runs from dbt/ and must open the same files."""
        def path(name: str) -> str:
            return str(Path(env(name)).resolve())

        return cls(
            landing_dir=path("LANDING_DIR"),
            warehouse_path=path("WAREHOUSE_PATH"),
            ledger_path=path("LEDGER_PATH"),
            analytics_path=path("ANALYTICS_PATH"),
            exports_dir=path("EXPORTS_DIR"),
            billing_start=env("BILLING_START"),
            duckdb_memory_limit=env("DUCKDB_MEMORY_LIMIT"),
            duckdb_threads=int(env("DUCKDB_THREADS")),
            platform_name=env("PLATFORM_NAME"),
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
