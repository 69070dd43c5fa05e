"""The ledger file's tables that dbt reads, defined once (SPEC §6).

The close's emission writes most of them and alert firing and delivery the
alert tables: this is their one definition, from which the DDL, the migration
and the writers' column lists all come. Rows are appended and never updated or deleted. A ledger written by
an earlier version is migrated in place: a missing table is created, a
missing column is added (nullable, so existing rows keep their values and are
never rewritten), and a column the definition allows to be empty loses its
NOT NULL.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool = True


@dataclass(frozen=True)
class LedgerTable:
    name: str
    columns: tuple[Column, ...]

    def column_names(self, *, without: tuple[str, ...] = ()) -> str:
        """The columns as a SQL list, in table order."""
        return ", ".join(c.name for c in self.columns if c.name not in without)

    def ddl(self) -> str:
        columns = ",\n    ".join(f"{c.name} {c.type}{' not null' if c.not_null else ''}" for c in self.columns)
        return f"create table if not exists main.{self.name} (\n    {columns}\n)"


def _table(name: str, *columns: str, nullable: tuple[str, ...] = ()) -> LedgerTable:
    """A table from 'name type' pairs; every column is NOT NULL unless named in `nullable`."""
    pairs = [column.split(" ", 1) for column in columns]
    return LedgerTable(name, tuple(Column(n, t, not_null=n not in nullable) for n, t in pairs))


INVOICE_LINES = _table(
    "invoice_lines",
    "invoice_period date", "billing_account_id varchar", "billing_account_type varchar", "line_key varchar",
    "line_type varchar", "adjusts_period date", "metric varchar", "description varchar",
    "quantity decimal(38, 6)", "unit_price decimal(38, 16)", "amount_minor bigint", "currency varchar",
    "tier varchar", "emitted_at timestamp", "run_id varchar",
    "promotion_id varchar", "reference varchar", "credits_line_key varchar",
    nullable=("adjusts_period", "metric", "tier", "promotion_id", "reference", "credits_line_key"),
)
STATEMENT_ROWS = _table(
    "statement_rows",
    "line_key varchar", "invoice_period date", "billing_account_id varchar", "service_period date",
    "line_type varchar", "metric varchar", "partner_id varchar", "tenant_id varchar", "quantity decimal(38, 6)",
    "currency varchar", "tier varchar", "list_unit_price decimal(38, 16)", "wholesale_unit_price decimal(38, 16)",
    "retail_unit_price decimal(38, 16)", "wholesale_amount_minor bigint", "retail_amount_minor bigint",
    "margin_amount_minor bigint", "emitted_at timestamp", "run_id varchar",
    # An account-level row (a line without a metric) has no metric, tenant, list or retail.
    nullable=("metric", "tenant_id", "tier", "list_unit_price", "retail_unit_price", "retail_amount_minor",
              "margin_amount_minor"),
)
PARTNER_SNAPSHOTS = _table(
    "partner_snapshots",
    "close_month date", "partner_id varchar", "name varchar", "parent_partner_id varchar",
    "bills_via_parent boolean", "currency varchar", "country varchar", "tier_floor varchar",
    "stripe_customer_id varchar",
    nullable=("name", "parent_partner_id", "bills_via_parent", "currency", "country", "tier_floor",
              "stripe_customer_id"),
)
TENANT_SNAPSHOTS = _table(
    "tenant_snapshots",
    "close_month date", "tenant_id varchar", "name varchar", "currency varchar", "country varchar",
    "external_ref varchar", "stripe_customer_id varchar", "created_at date",
    nullable=("name", "currency", "country", "external_ref", "stripe_customer_id", "created_at"),
)
CLOSES = _table(
    "closes",
    "close_month date", "closed_at timestamp", "run_id varchar", "invoice_lines integer", "statement_rows integer",
)
# Every credit note a close processed, as it was in the file, with its outcome: its id is spent (SPEC §5.10).
CREDIT_NOTES = _table(
    "credit_notes",
    "credit_note_id varchar", "close_month date", "line_key varchar", "amount varchar", "reason varchar",
    "issued_on date", "memo varchar", "outcome varchar", "reject_reason varchar", "amount_minor bigint",
    "credit_line_key varchar", "processed_at timestamp", "run_id varchar",
    nullable=("line_key", "amount", "reason", "memo", "reject_reason", "amount_minor", "credit_line_key"),
)
# Prepaid credit (SPEC §5.9). A block is created once, by a purchase or a transfer; its balance is
# the sum of its entries, which are appended in the order the close's steps made them.
CREDIT_BLOCKS = _table(
    "credit_blocks",
    "block_id varchar", "billing_account_type varchar", "billing_account_id varchar", "currency varchar",
    "effective_on date", "expires_on date", "amount_minor bigint", "origin varchar", "close_month date",
    "created_at timestamp", "run_id varchar",
    nullable=("expires_on",),
)
CREDIT_ENTRIES = _table(
    "credit_entries",
    "entry_id varchar", "close_month date", "position integer", "billing_account_type varchar",
    "billing_account_id varchar", "block_id varchar", "entry_type varchar", "amount_minor bigint",
    "currency varchar", "entry_date date", "source_id varchar", "recorded_at timestamp", "run_id varchar",
)
# Purchases a close charged: from billing/credit_purchases.csv, or top-ups recorded at the close before.
CREDIT_PURCHASES = _table(
    "credit_purchases",
    "purchase_id varchar", "close_month date", "origin varchar", "billing_account_type varchar",
    "billing_account_id varchar", "package varchar", "quantity varchar", "purchased_on date", "currency varchar",
    "credit_minor bigint", "price_minor bigint", "line_key varchar", "processed_at timestamp", "run_id varchar",
)
# Every transfer a close processed, as it was in the file, with its outcome: its id is spent.
CREDIT_TRANSFERS = _table(
    "credit_transfers",
    "transfer_id varchar", "close_month date", "from_partner_id varchar", "to_partner_id varchar",
    "currency varchar", "amount varchar", "transferred_on date", "outcome varchar", "reject_reason varchar",
    "amount_minor bigint", "processed_at timestamp", "run_id varchar",
    nullable=("reject_reason",),
)
# Top-up purchases a close decided, charged (as credit_purchases) at the next close.
CREDIT_TOP_UPS = _table(
    "credit_top_ups",
    "purchase_id varchar", "rule_id varchar", "close_month date", "billing_account_type varchar",
    "billing_account_id varchar", "package varchar", "quantity varchar", "purchased_on date",
    "balance_minor bigint", "threshold_minor bigint", "decided_at timestamp", "run_id varchar",
)
# Every alert that fired (SPEC §5.12): once per rule and month, never again. Written by alerts/alert_events.
ALERT_EVENTS = _table(
    "alert_events",
    "event_id varchar", "alert_id varchar", "month date", "billing_account_type varchar",
    "billing_account_id varchar", "landing_date date", "measure varchar", "metric varchar",
    "value decimal(38, 6)", "threshold decimal(38, 6)", "currency varchar", "webhook_url varchar",
    "fired_at timestamp", "run_id varchar",
    nullable=("metric", "currency", "webhook_url"),
)
# Each delivery outcome of an event, per mode, appended by alerts/alert_deliveries: `delivered` (a 2xx, or
# the request written to the outbox) is final; `failed` is tried again by the next delivery run.
ALERT_DELIVERIES = _table(
    "alert_deliveries",
    "event_id varchar", "mode varchar", "state varchar", "status_code integer", "reason varchar",
    "attempts integer", "recorded_at timestamp", "run_id varchar",
    nullable=("status_code", "reason"),
)
# The exact requests of outbox mode, for review: what live mode would have posted.
ALERT_OUTBOX = _table(
    "alert_outbox",
    "event_id varchar", "url varchar", "headers varchar", "body varchar", "recorded_at timestamp", "run_id varchar",
    nullable=("url",),
)
TABLES = (INVOICE_LINES, STATEMENT_ROWS, PARTNER_SNAPSHOTS, TENANT_SNAPSHOTS, CLOSES, CREDIT_NOTES,
          CREDIT_BLOCKS, CREDIT_ENTRIES, CREDIT_PURCHASES, CREDIT_TRANSFERS, CREDIT_TOP_UPS,
          ALERT_EVENTS, ALERT_DELIVERIES, ALERT_OUTBOX)


def ensure_ledger_tables(con: duckdb.DuckDBPyConnection, tables: tuple[LedgerTable, ...] = TABLES) -> list[str]:
    """Create what is missing, add the columns a table lacks, allow empty what may be empty;
    returns what changed, as 'table.column' (added) and 'table.column nullable'."""
    changed = []
    for table in tables:
        con.execute(table.ddl())
        present = {name: nullable == "YES" for name, nullable in con.execute(
            "select column_name, is_nullable from information_schema.columns "
            "where table_schema = 'main' and table_name = ?",
            [table.name]).fetchall()}
        for column in table.columns:
            if column.name not in present:
                con.execute(f"alter table main.{table.name} add column {column.name} {column.type}")
                changed.append(f"{table.name}.{column.name}")
            elif not column.not_null and not present[column.name]:
                con.execute(f"alter table main.{table.name} alter column {column.name} drop not null")
                changed.append(f"{table.name}.{column.name} nullable")
    return changed
