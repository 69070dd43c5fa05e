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
    """The ledger file a26960b wrote for the scenario's January close."""
    with duckdb.connect(str(path)) as con:
        con.execute((FIXTURE / "schema.sql").read_text())
        con.execute((FIXTURE / "load.sql").read_text().replace("{fixture}", str(FIXTURE)))
    return path


def _rows(path: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"select * from main.{table} order by all").fetchall()


def test_the_definitions_match_the_tables_an_older_ledger_has_column_for_column(tmp_path):
    ledger = _old_ledger(tmp_path / "l.duckdb")
    with duckdb.connect(str(ledger)) as con:
        for table in TABLES:
            described = con.execute(
                "select column_name, data_type, is_nullable from information_schema.columns "
                "where table_name = ? order by ordinal_position", [table.name]).fetchall()
            assert described == [(c.name, c.type.upper().replace(" ", ""), "NO" if c.not_null else "YES")
                                 for c in table.columns], table.name


def test_an_older_ledger_opens_unchanged_when_nothing_is_missing(tmp_path):
    ledger = _old_ledger(tmp_path / "l.duckdb")
    before = {t.name: _rows(ledger, t.name) for t in TABLES}
    with duckdb.connect(str(ledger)) as con:
        assert ensure_ledger_tables(con) == []
    assert {t.name: _rows(ledger, t.name) for t in TABLES} == before
    assert len(before["invoice_lines"]) == 9
    assert closed_months(ledger) == [date(2025, 1, 1)]


def test_a_column_the_ledger_lacks_is_added_and_every_existing_row_keeps_its_values(tmp_path):
    ledger = _old_ledger(tmp_path / "l.duckdb")
    before = _rows(ledger, "invoice_lines")
    wider = replace(INVOICE_LINES, columns=(*INVOICE_LINES.columns, Column("promotion_id", "varchar", not_null=False)))
    with duckdb.connect(str(ledger)) as con:
        assert ensure_ledger_tables(con, (wider,)) == ["invoice_lines.promotion_id"]
        assert ensure_ledger_tables(con, (wider,)) == []
        after = con.execute(f"select {INVOICE_LINES.column_names()} from main.invoice_lines order by all").fetchall()
        added = con.execute("select count(*) from main.invoice_lines where promotion_id is null").fetchone()[0]
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
        still = con.execute("select * from invoice_lines where invoice_period = '2025-01-01' order by all").fetchall()
        february = con.execute("select count(*) from invoice_lines where invoice_period = '2025-02-01'").fetchone()[0]
    assert [month for month, _ in closes] == [date(2025, 1, 1), date(2025, 2, 1)]
    assert closes[0][1] == january[0][-1]
    assert still == january
    assert february > 0
