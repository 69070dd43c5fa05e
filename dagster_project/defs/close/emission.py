"""Record a close: copy the checked proposed lines into the ledger, once.

Nothing is computed here. The proposed lines and statement rows come from the
marts exactly as dbt built and tested them; this step only enforces the close
order (SPEC §5.6) and appends lines, statement rows, the credit notes processed
with their outcome, the account snapshots and the close record in a single
ledger transaction, with the credit ledger's blocks and entries and the
credit purchases, transfers and top-ups the close processed or decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from dagster_project.defs.close.review import Adjustment, CreditTotals, CurrencySide
from dagster_project.defs.partitions import next_month
from dagster_project.duckdb_files import connect
from ingest.duckdb_sql import literal
from dagster_project.ledger_tables import (
    CREDIT_BLOCKS,
    CREDIT_ENTRIES,
    CREDIT_NOTES,
    CREDIT_PURCHASES,
    CREDIT_TOP_UPS,
    CREDIT_TRANSFERS,
    INVOICE_LINES,
    PARTNER_SNAPSHOTS,
    STATEMENT_ROWS,
    TENANT_SNAPSHOTS,
    ensure_ledger_tables,
)

# What the marts give; the emission adds when and by which run (or for which close).
EMISSION_STAMP = ("emitted_at", "run_id")
LINE_COLUMNS = INVOICE_LINES.column_names(without=EMISSION_STAMP)
STATEMENT_COLUMNS = STATEMENT_ROWS.column_names(without=EMISSION_STAMP)
CREDIT_NOTE_COLUMNS = CREDIT_NOTES.column_names(without=("processed_at", "run_id"))
# Each ledger table of prepaid credit, filled from the proposed mart of the same content.
CREDIT_COPIES = (
    (CREDIT_BLOCKS, "fct_proposed_credit_blocks", ("created_at", "run_id")),
    (CREDIT_ENTRIES, "fct_proposed_credit_entries", ("recorded_at", "run_id")),
    (CREDIT_PURCHASES, "fct_proposed_credit_purchases", ("processed_at", "run_id")),
    (CREDIT_TRANSFERS, "fct_proposed_credit_transfers", ("processed_at", "run_id")),
    (CREDIT_TOP_UPS, "fct_proposed_credit_top_ups", ("decided_at", "run_id")),
)
PARTNER_COLUMNS = PARTNER_SNAPSHOTS.column_names(without=("close_month",))
TENANT_COLUMNS = TENANT_SNAPSHOTS.column_names(without=("close_month",))


# The close as the reviewer reads it (defs/close/review.py), in the columns of its named rows.
TOTALS_SQL = """
    select l.currency, c.minor_unit_exponent, l.billing_account_type,
           count(distinct l.billing_account_id), count(*),
           coalesce(sum(l.amount_minor) filter (where l.line_type = 'usage'), 0)::bigint,
           coalesce(sum(l.amount_minor) filter (where l.line_type = 'adjustment'), 0)::bigint,
           coalesce(sum(l.amount_minor) filter (where l.line_type in ('commitment', 'commitment_adjustment')), 0)::bigint,
           sum(l.amount_minor)::bigint
    from wh.marts.fct_proposed_invoice_lines l join wh.seeds.currencies c using (currency)
    group by all order by 1, 3
"""
CREDITS_SQL = """
    with movements as (
        select currency, amount_minor as charged, 0 as purchased, 0 as drawn, 0 as expired, 0 as transferred,
               0 as rejected
        from wh.marts.fct_proposed_invoice_lines where line_type = 'credit_purchase'
        union all
        select currency, 0,
               case when entry_type = 'purchase' then amount_minor else 0 end,
               case when entry_type = 'drawdown' then -amount_minor else 0 end,
               case when entry_type = 'expiry' then -amount_minor else 0 end,
               case when entry_type = 'transfer_in' then amount_minor else 0 end,
               0
        from wh.marts.fct_proposed_credit_entries
        union all
        select currency, 0, 0, 0, 0, 0, 1 from wh.marts.fct_proposed_credit_transfers where outcome = 'rejected'
    )
    select m.currency, c.minor_unit_exponent, sum(charged)::bigint, sum(purchased)::bigint, sum(drawn)::bigint,
           sum(expired)::bigint, sum(transferred)::bigint, sum(rejected)::integer
    from movements m join wh.seeds.currencies c using (currency)
    group by all order by 1
"""
ADJUSTMENTS_SQL = """
    select l.billing_account_type, l.billing_account_id, strftime(l.adjusts_period, '%Y-%m'), l.metric,
           l.quantity, l.tier, l.amount_minor, l.currency, c.minor_unit_exponent
    from wh.marts.fct_proposed_invoice_lines l join wh.seeds.currencies c using (currency)
    where l.line_type = 'adjustment'
    order by l.line_key
"""


class CloseRefused(RuntimeError):
    """The month cannot be closed now; the message says why."""


@dataclass
class Emission:
    close_month: date
    already_closed: bool = False
    lines: int = 0
    statement_rows: int = 0
    adjustments: int = 0
    credit_notes_accepted: int = 0
    credit_notes_rejected: list[tuple[str, str]] = field(default_factory=list)  # (credit_note_id, reason)
    totals: list[CurrencySide] = field(default_factory=list)
    credits: list[CreditTotals] = field(default_factory=list)
    adjustment_lines: list[Adjustment] = field(default_factory=list)


def check_close_order(closed: list[date], month: date) -> bool:
    """True when `month` is already closed; raises when it may not be closed now."""
    if month in closed:
        return True
    if closed and month < max(closed):
        raise CloseRefused(f"{month:%Y-%m} is before the latest closed month {max(closed):%Y-%m} and is never closed")
    if closed and month != next_month(max(closed)):
        raise CloseRefused(f"close {next_month(max(closed)):%Y-%m} before {month:%Y-%m}")
    return False


def emit_close(warehouse_path: Path, ledger_path: Path, month: date, run_id: str) -> Emission:
    result = Emission(month)
    with connect(ledger_path) as con:
        ensure_ledger_tables(con)
        closed = [r[0] for r in con.execute("select close_month from main.closes order by 1").fetchall()]
        if check_close_order(closed, month):
            result.already_closed = True
            return result
        con.execute(f"attach {literal(warehouse_path)} as wh (read_only)")
        periods = {r[0] for r in con.execute("select distinct invoice_period from wh.marts.fct_proposed_invoice_lines").fetchall()}
        if periods - {month}:
            raise CloseRefused(f"the proposed lines are for {sorted(periods)}, not {month:%Y-%m}: rebuild the marts for this month")
        clash = con.execute(
            "select count(*) from wh.marts.fct_proposed_invoice_lines p join main.invoice_lines l using (line_key)"
        ).fetchone()[0]
        if clash:
            raise CloseRefused(f"{clash} proposed line keys are already in the ledger")
        con.execute("begin")
        try:
            emitted_at = datetime.now(UTC).replace(tzinfo=None)
            con.execute(
                f"insert into main.invoice_lines ({LINE_COLUMNS}, emitted_at, run_id) "
                f"select {LINE_COLUMNS}, ?, ? from wh.marts.fct_proposed_invoice_lines",
                [emitted_at, run_id],
            )
            con.execute(
                f"insert into main.statement_rows ({STATEMENT_COLUMNS}, emitted_at, run_id) "
                f"select {STATEMENT_COLUMNS}, ?, ? from wh.marts.fct_proposed_statement_rows",
                [emitted_at, run_id],
            )
            con.execute(
                f"insert into main.credit_notes ({CREDIT_NOTE_COLUMNS}, processed_at, run_id) "
                f"select {CREDIT_NOTE_COLUMNS}, ?, ? from wh.marts.fct_proposed_credit_notes",
                [emitted_at, run_id],
            )
            for table, mart, stamp in CREDIT_COPIES:
                columns = table.column_names(without=stamp)
                con.execute(
                    f"insert into main.{table.name} ({columns}, {', '.join(stamp)}) "
                    f"select {columns}, ?, ? from wh.marts.{mart}",
                    [emitted_at, run_id],
                )
            con.execute(
                f"insert into main.partner_snapshots (close_month, {PARTNER_COLUMNS}) "
                f"select ?, {PARTNER_COLUMNS} from wh.marts.dim_partners",
                [month],
            )
            con.execute(
                f"insert into main.tenant_snapshots (close_month, {TENANT_COLUMNS}) "
                f"select ?, {TENANT_COLUMNS} from wh.marts.dim_tenants",
                [month],
            )
            counts = con.execute(
                "select (select count(*) from wh.marts.fct_proposed_invoice_lines), "
                "(select count(*) from wh.marts.fct_proposed_statement_rows), "
                "(select count(*) from wh.marts.fct_proposed_invoice_lines where line_type = 'adjustment')"
            ).fetchone()
            result.lines, result.statement_rows, result.adjustments = counts
            outcomes = con.execute(
                "select credit_note_id, outcome, reject_reason from wh.marts.fct_proposed_credit_notes "
                "order by issued_on, credit_note_id").fetchall()
            result.credit_notes_accepted = sum(1 for _, outcome, _ in outcomes if outcome == "accepted")
            result.credit_notes_rejected = [(note, reason) for note, outcome, reason in outcomes if outcome == "rejected"]
            con.execute(
                "insert into main.closes (close_month, closed_at, run_id, invoice_lines, statement_rows) "
                "values (?, ?, ?, ?, ?)",
                [month, emitted_at, run_id, result.lines, result.statement_rows],
            )
            result.totals = [CurrencySide(*row) for row in con.execute(TOTALS_SQL).fetchall()]
            result.credits = [CreditTotals(*row) for row in con.execute(CREDITS_SQL).fetchall()]
            result.adjustment_lines = [Adjustment(*row) for row in con.execute(ADJUSTMENTS_SQL).fetchall()]
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    return result


def closed_months(ledger_path: Path) -> list[date]:
    if not ledger_path.exists():
        return []
    with connect(ledger_path, read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_name = 'closes'"
        ).fetchone()[0]
        if not exists:
            return []
        return [r[0] for r in con.execute("select close_month from main.closes order by 1").fetchall()]
