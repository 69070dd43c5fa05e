"""The Stripe ledger: what Stripe (or, in outbox mode, the outbox) confirmed.

Kept in the ledger DuckDB file, per mode, one row per confirmed object, written
right after the confirmation so a crash loses at most the object in flight
(which the next run finds with a list call). Rows are only ever appended.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb

DDL = """
create table if not exists main.stripe_customers (
    mode varchar not null, billing_account_type varchar not null, billing_account_id varchar not null,
    customer_id varchar not null, recorded_at timestamp not null
);
create table if not exists main.stripe_invoices (
    mode varchar not null, billing_account_type varchar not null, billing_account_id varchar not null,
    invoice_period date not null, currency varchar not null, customer_id varchar not null,
    invoice_id varchar not null, recorded_at timestamp not null
);
create table if not exists main.stripe_invoice_items (
    mode varchar not null, line_key varchar not null, part integer not null, invoice_id varchar not null,
    invoice_item_id varchar not null, amount_minor bigint not null, currency varchar not null,
    recorded_at timestamp not null
);
create table if not exists main.stripe_outbox (
    seq bigint not null, run_id varchar, method varchar not null, path varchar not null,
    idempotency_key varchar not null, params json not null, recorded_at timestamp not null
);
"""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StripeLedger:
    def __init__(self, con: duckdb.DuckDBPyConnection, mode: str):
        self.con = con
        self.mode = mode
        con.execute(DDL)

    def customer(self, account_type: str, account_id: str) -> str | None:
        row = self.con.execute(
            "select customer_id from main.stripe_customers where mode = ? and billing_account_type = ? "
            "and billing_account_id = ? order by recorded_at limit 1",
            [self.mode, account_type, account_id],
        ).fetchone()
        return row[0] if row else None

    def record_customer(self, account_type: str, account_id: str, customer_id: str) -> None:
        self.con.execute("insert into main.stripe_customers values (?, ?, ?, ?, ?)",
                         [self.mode, account_type, account_id, customer_id, _now()])

    def invoice(self, account_type: str, account_id: str, period, currency: str) -> str | None:
        row = self.con.execute(
            "select invoice_id from main.stripe_invoices where mode = ? and billing_account_type = ? "
            "and billing_account_id = ? and invoice_period = ? and currency = ? order by recorded_at limit 1",
            [self.mode, account_type, account_id, period, currency],
        ).fetchone()
        return row[0] if row else None

    def record_invoice(self, account_type: str, account_id: str, period, currency: str,
                       customer_id: str, invoice_id: str) -> None:
        self.con.execute("insert into main.stripe_invoices values (?, ?, ?, ?, ?, ?, ?, ?)",
                         [self.mode, account_type, account_id, period, currency, customer_id, invoice_id, _now()])

    def sent_items(self) -> set[tuple[str, int]]:
        rows = self.con.execute(
            "select line_key, part from main.stripe_invoice_items where mode = ?", [self.mode]
        ).fetchall()
        return {(k, p) for k, p in rows}

    def record_item(self, line_key: str, part: int, invoice_id: str, item_id: str, amount_minor: int,
                    currency: str) -> None:
        self.con.execute("insert into main.stripe_invoice_items values (?, ?, ?, ?, ?, ?, ?, ?)",
                         [self.mode, line_key, part, invoice_id, item_id, amount_minor, currency, _now()])

    def append_outbox(self, run_id: str | None, method: str, path: str, key: str, params: dict) -> None:
        seq = self.con.execute("select coalesce(max(seq), 0) + 1 from main.stripe_outbox").fetchone()[0]
        self.con.execute("insert into main.stripe_outbox values (?, ?, ?, ?, ?, ?, ?)",
                         [seq, run_id, method, path, key, json.dumps(params, sort_keys=True), _now()])
