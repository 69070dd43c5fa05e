"""The Stripe ledger: what Stripe (or, in outbox mode, the outbox) confirmed.

Kept in the ledger DuckDB file, per mode, one row per confirmed object.
Confirmations of every kind (customers, invoices, invoice items, outbox
requests) are buffered in memory and written by `flush`, in one transaction;
the sender flushes once it holds FLUSH_EVERY_ROWS of them and at the end of a
run. A hard kill loses at most the unflushed records, and the next run finds
those objects on Stripe with list calls before creating anything. Rows are
only ever appended. A key generation (`stripe_key_generations`) is written at
once, not buffered: it is what stops a later run sending a key Stripe has
stored a server error under.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

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
create table if not exists main.stripe_key_generations (
    mode varchar not null, idempotency_key varchar not null, generation integer not null, recorded_at timestamp not null
);
create table if not exists main.stripe_outbox (
    seq bigint not null, run_id varchar, method varchar not null, path varchar not null,
    idempotency_key varchar not null, params json not null, recorded_at timestamp not null
);
"""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StripeLedger:
    """Reads what was confirmed once, then buffers new confirmations; `flush` writes them."""

    TABLES = ("stripe_customers", "stripe_invoices", "stripe_invoice_items", "stripe_outbox")

    def __init__(self, con: duckdb.DuckDBPyConnection, mode: str):
        self.con = con
        self.mode = mode
        con.execute(DDL)
        self.customers = {(t, a): c for t, a, c in con.execute(
            "select billing_account_type, billing_account_id, customer_id from main.stripe_customers where mode = ?",
            [mode]).fetchall()}
        self.invoices = {(t, a, p, cur): i for t, a, p, cur, i in con.execute(
            "select billing_account_type, billing_account_id, invoice_period, currency, invoice_id "
            "from main.stripe_invoices where mode = ?", [mode]).fetchall()}
        self.generations: dict[str, int] = dict(con.execute(
            "select idempotency_key, max(generation) from main.stripe_key_generations where mode = ? group by 1",
            [mode]).fetchall())
        self.next_seq = con.execute("select coalesce(max(seq), 0) + 1 from main.stripe_outbox").fetchone()[0]
        self.pending: dict[str, list[tuple]] = {t: [] for t in self.TABLES}

    @property
    def pending_rows(self) -> int:
        return sum(len(rows) for rows in self.pending.values())

    def customer(self, account_type: str, account_id: str) -> str | None:
        return self.customers.get((account_type, account_id))

    def record_customer(self, account_type: str, account_id: str, customer_id: str) -> None:
        self.customers[(account_type, account_id)] = customer_id
        self.pending["stripe_customers"].append((self.mode, account_type, account_id, customer_id, _now()))

    def invoice(self, account_type: str, account_id: str, period, currency: str) -> str | None:
        return self.invoices.get((account_type, account_id, period, currency))

    def record_invoice(self, account_type: str, account_id: str, period, currency: str,
                       customer_id: str, invoice_id: str) -> None:
        self.invoices[(account_type, account_id, period, currency)] = invoice_id
        self.pending["stripe_invoices"].append(
            (self.mode, account_type, account_id, period, currency, customer_id, invoice_id, _now()))

    def idempotency_key(self, key: str) -> str:
        """The key to send for `key`: itself, or its latest generation after a stored server error."""
        generation = self.generations.get(key, 0)
        return key if not generation else f"{key}:g{generation}"

    def new_key_generation(self, key: str) -> str:
        """A key Stripe has not seen, written at once: a later run must not send the spent one again."""
        generation = self.generations.get(key, 0) + 1
        self.con.execute("insert into main.stripe_key_generations values (?, ?, ?, ?)",
                         [self.mode, key, generation, _now()])
        self.generations[key] = generation
        return f"{key}:g{generation}"

    def sent_items(self) -> set[tuple[str, int]]:
        rows = self.con.execute(
            "select line_key, part from main.stripe_invoice_items where mode = ?", [self.mode]
        ).fetchall()
        return {(k, p) for k, p in rows}

    def record_item(self, line_key: str, part: int, invoice_id: str, item_id: str, amount_minor: int,
                    currency: str) -> None:
        self.pending["stripe_invoice_items"].append(
            (self.mode, line_key, part, invoice_id, item_id, amount_minor, currency, _now()))

    def append_outbox(self, run_id: str | None, method: str, path: str, key: str, params: dict) -> None:
        self.pending["stripe_outbox"].append(
            (self.next_seq, run_id, method, path, key, json.dumps(params, sort_keys=True), _now()))
        self.next_seq += 1

    def flush(self) -> None:
        """Write every buffered confirmation and outbox request in one transaction."""
        if not self.pending_rows:
            return
        self.con.execute("begin")
        try:
            for table, rows in self.pending.items():
                if rows:
                    names = [c[0] for c in self.con.execute(f"select * from main.{table} limit 0").description]
                    self.con.register("_pending", pa.table(list(zip(*rows)), names=names))
                    self.con.execute(f"insert into main.{table} select * from _pending")
                    self.con.unregister("_pending")
            self.con.execute("commit")
        except Exception:
            self.con.execute("rollback")
            raise
        for rows in self.pending.values():
            rows.clear()
