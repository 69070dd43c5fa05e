"""The close's ledger tables: one definition, and a ledger written by an older version migrated in place."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.defs.close.emission import closed_months
from dagster_project.ledger_tables import INVOICE_LINES, TABLES, Column, ensure_ledger_tables
from tests.conftest import clear_pipeline_environment, run_arguments
from tests.scenario import write_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "ledger_a26960b"


def _old_ledger(path: Path) -> Path:
    """The ledger file a26960b wrote for the scenario's January close (the schema of every version
    before the pricing columns)."""
    with duckdb.connect(str(path)) as con:
        con.execute((FIXTURE / "schema.sql").read_text())
        con.execute((FIXTURE / "load.sql").read_text().replace("{fixture}", str(FIXTURE)))
    return path


def _tables_in(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]


def _rows(path: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"select * from main.{table} order by all").fetchall()


def _described(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(
        "select column_name, data_type, is_nullable from information_schema.columns "
        "where table_name = ? order by ordinal_position", [table]).fetchall()


def test_an_older_ledger_is_migrated_to_the_definitions_column_for_column(tmp_path):
    ledger = _old_ledger(tmp_path / "l.duckdb")
    with duckdb.connect(str(ledger)) as con:
        assert ensure_ledger_tables(con) == [
            "invoice_lines.metric nullable",
            "invoice_lines.promotion_id", "invoice_lines.reference", "invoice_lines.credits_line_key",
            "statement_rows.metric nullable", "statement_rows.tenant_id nullable",
            "statement_rows.list_unit_price nullable", "statement_rows.retail_unit_price nullable",
            "statement_rows.retail_amount_minor nullable", "statement_rows.margin_amount_minor nullable",
        ]
        for table in TABLES:
            assert _described(con, table.name) == [
                (c.name, c.type.upper().replace(" ", ""), "NO" if c.not_null else "YES") for c in table.columns
            ], table.name


def test_a_migrated_ledger_keeps_every_row_and_opens_unchanged_the_next_time(tmp_path):
    ledger = _old_ledger(tmp_path / "l.duckdb")
    before = {name: _rows(ledger, name) for name in _tables_in(ledger)}
    with duckdb.connect(str(ledger)) as con:
        ensure_ledger_tables(con)
        assert ensure_ledger_tables(con) == []
        kept = con.execute(
            "select invoice_period, billing_account_id, billing_account_type, line_key, line_type, adjusts_period, "
            "metric, description, quantity, unit_price, amount_minor, currency, tier, emitted_at, run_id "
            "from main.invoice_lines order by all").fetchall()
        added = con.execute("select count(*) from main.invoice_lines "
                            "where promotion_id is null and reference is null and credits_line_key is null").fetchone()[0]
    assert kept == before["invoice_lines"]
    assert added == len(before["invoice_lines"]) == 9
    assert {name: _rows(ledger, name) for name in before if name != "invoice_lines"} == {
        name: rows for name, rows in before.items() if name != "invoice_lines"}
    assert _rows(ledger, "credit_notes") == []
    assert closed_months(ledger) == [date(2025, 1, 1)]


def test_a_column_the_ledger_lacks_is_added_and_every_existing_row_keeps_its_values(tmp_path):
    ledger = _old_ledger(tmp_path / "l.duckdb")
    with duckdb.connect(str(ledger)) as con:
        ensure_ledger_tables(con)
    before = _rows(ledger, "invoice_lines")
    wider = replace(INVOICE_LINES, columns=(*INVOICE_LINES.columns, Column("note", "varchar", not_null=False)))
    with duckdb.connect(str(ledger)) as con:
        assert ensure_ledger_tables(con, (wider,)) == ["invoice_lines.note"]
        assert ensure_ledger_tables(con, (wider,)) == []
        after = con.execute(f"select {INVOICE_LINES.column_names()} from main.invoice_lines order by all").fetchall()
        added = con.execute("select count(*) from main.invoice_lines where note is null").fetchone()[0]
    assert after == before
    assert added == len(before) == 9


def test_a_ledger_written_by_the_older_version_closes_the_next_month_on_top_of_it(tmp_path):
    root = tmp_path
    write_scenario(root / "landing")
    january = _rows(_old_ledger(root / "l.duckdb"), "invoice_lines")
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        assert main(run_arguments(root, "2025-02")) == 0
    with duckdb.connect(str(root / "l.duckdb"), read_only=True) as con:
        closes = con.execute("select close_month, run_id from closes order by 1").fetchall()
        still = con.execute(f"select {', '.join(c.name for c in INVOICE_LINES.columns[:len(january[0])])} "
                            "from invoice_lines where invoice_period = '2025-01-01' order by all").fetchall()
        february = con.execute("select count(*) from invoice_lines where invoice_period = '2025-02-01'").fetchone()[0]
    assert [month for month, _ in closes] == [date(2025, 1, 1), date(2025, 2, 1)]
    assert closes[0][1] == january[0][-1]
    assert still == january
    assert february > 0
