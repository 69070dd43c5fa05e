"""The raw tables ingest writes: the only contract between ingest and dbt.

Account and pricing tables hold text exactly as landed (trimmed, empty as
NULL); typing and validation of those happens in dbt staging, where errors
become blocking checks. Usage is validated here because every landed row must
end up accepted or rejected with a reason.
"""

from __future__ import annotations

from typing import NamedTuple

import duckdb

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"

class AccountFile(NamedTuple):
    path: str  # under the landing root
    columns: tuple[str, ...]
    required: tuple[str, ...]


ACCOUNT_FILES: dict[str, AccountFile] = {
    "partners": AccountFile(
        path="accounts/partners.csv",
        columns=("partner_id", "name", "parent_partner_id", "bills_via_parent", "currency",
                 "country", "tier_floor", "stripe_customer_id"),
        required=("partner_id", "name", "currency"),
    ),
    "tenants": AccountFile(
        path="accounts/tenants.csv",
        columns=("tenant_id", "name", "currency", "country", "external_ref", "stripe_customer_id", "created_at"),
        required=("tenant_id", "name", "currency"),
    ),
    "assignments": AccountFile(
        path="accounts/assignments.csv",
        columns=("tenant_id", "partner_id", "valid_from", "valid_to"),
        required=("tenant_id", "partner_id", "valid_from"),
    ),
    "partner_rate_cards": AccountFile(
        path="pricing/partner_rate_cards.csv",
        columns=("partner_id", "metric", "currency", "wholesale_unit_price", "effective_from"),
        required=("partner_id", "metric", "currency", "wholesale_unit_price", "effective_from"),
    ),
    "partner_retail_prices": AccountFile(
        path="pricing/partner_retail_prices.csv",
        columns=("partner_id", "metric", "currency", "retail_unit_price", "effective_from"),
        required=("partner_id", "metric", "currency", "retail_unit_price", "effective_from"),
    ),
    "partner_markups": AccountFile(
        path="pricing/partner_markups.csv",
        columns=("partner_id", "metric", "markup_pct", "effective_from"),
        required=("partner_id", "markup_pct", "effective_from"),
    ),
    "promotions": AccountFile(
        path="billing/promotions.csv",
        columns=("promotion_id", "billing_account_type", "billing_account_id", "metric", "percent_off",
                 "valid_from", "valid_to"),
        required=("promotion_id", "billing_account_type", "percent_off", "valid_from"),
    ),
    "commitments": AccountFile(
        path="billing/commitments.csv",
        columns=("commitment_id", "billing_account_type", "billing_account_id", "currency", "monthly_minimum",
                 "valid_from", "valid_to"),
        required=("commitment_id", "billing_account_type", "billing_account_id", "currency", "monthly_minimum",
                  "valid_from", "valid_to"),
    ),
    "credit_purchases": AccountFile(
        path="billing/credit_purchases.csv",
        columns=("purchase_id", "billing_account_type", "billing_account_id", "package", "quantity", "purchased_on"),
        required=("purchase_id", "billing_account_type", "billing_account_id", "package", "quantity", "purchased_on"),
    ),
    "credit_transfers": AccountFile(
        path="billing/credit_transfers.csv",
        columns=("transfer_id", "from_partner_id", "to_partner_id", "currency", "amount", "transferred_on"),
        required=("transfer_id", "from_partner_id", "to_partner_id", "currency", "amount", "transferred_on"),
    ),
    "credit_top_ups": AccountFile(
        path="billing/credit_top_ups.csv",
        columns=("rule_id", "billing_account_type", "billing_account_id", "package", "quantity", "threshold"),
        required=("rule_id", "billing_account_type", "billing_account_id", "package", "quantity", "threshold"),
    ),
    "credit_notes": AccountFile(
        path="billing/credit_notes.csv",
        columns=("credit_note_id", "line_key", "amount", "reason", "issued_on", "memo"),
        required=("credit_note_id", "line_key", "amount", "reason", "issued_on"),
    ),
    "alert_rules": AccountFile(
        path="billing/alert_rules.csv",
        columns=("alert_id", "billing_account_type", "billing_account_id", "measure", "metric", "threshold",
                 "webhook_url"),
        required=("alert_id", "billing_account_type", "billing_account_id", "measure", "threshold"),
    ),
}
OPTIONAL_ACCOUNT_TABLES = frozenset({
    "partner_rate_cards", "partner_retail_prices", "partner_markups", "promotions", "commitments", "credit_notes",
    "credit_purchases", "credit_transfers", "credit_top_ups", "alert_rules",
})

USAGE_COLUMNS = ("event_id", "tenant_id", "metric", "quantity", "occurred_at")

# Every quantity is DECIMAL(38,6): values go up to 1e12 with 6 decimals, and
# sums over a month must not overflow.
_USAGE_DDL = """
create table if not exists raw.usage_events (
    landing_date date not null,
    event_id varchar not null,
    event_hash ubigint not null,
    tenant_id varchar not null,
    metric varchar not null,
    quantity decimal(38, 6) not null,
    occurred_at timestamp not null,
    usage_date date not null,
    source_file varchar not null,
    row_number bigint not null
);
create table if not exists raw.usage_rejects (
    landing_date date not null,
    source_file varchar not null,
    row_number bigint not null,
    reason varchar not null,
    payload_differs boolean,
    event_id varchar,
    tenant_id varchar,
    metric varchar,
    quantity varchar,
    occurred_at varchar,
    raw_record varchar
);
create table if not exists raw.rejected_files (
    landing_date date not null,
    source_file varchar not null,
    reason varchar not null
);
create table if not exists raw.usage_partitions (
    landing_date date not null,
    files_read integer not null,
    files_rejected integer not null,
    rows_read bigint not null,
    rows_accepted bigint not null,
    rows_rejected bigint not null,
    ingested_at timestamp not null,
    files_fingerprint varchar
);
-- A warehouse written before the partitions carried a fingerprint: its dates read as changed, once.
alter table raw.usage_partitions add column if not exists files_fingerprint varchar;
"""


def account_table_ddl(table: str) -> str:
    cols = ",\n    ".join(f"{c} varchar" for c in ACCOUNT_FILES[table].columns)
    return (
        f"create or replace table raw.{table} (\n    source_row bigint not null,\n    {cols}\n)"
    )


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    for table in ACCOUNT_FILES:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = ?",
            [table],
        ).fetchone()[0]
        if not exists:
            con.execute(account_table_ddl(table))
    con.execute(_USAGE_DDL)
