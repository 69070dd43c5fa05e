"""The analytics file (SPEC §6) always holds exactly the warehouse's marts; a table
built by month with a build_id copies only the months whose build changed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from exports.analytics import publish_marts

JAN, FEB, MAR = "2025-01-01", "2025-02-01", "2025-03-01"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    warehouse, analytics = tmp_path / "w.duckdb", tmp_path / "a.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("""create table marts.fct_usage_daily as
                       select t.tenant_id, m.service_month::date as service_month, 10.5::decimal(38, 6) as quantity,
                              'build-1' as build_id
                       from (values ('t1'), ('t2')) t(tenant_id), (values (?), (?), (?)) m(service_month)""",
                    [JAN, FEB, MAR])
        con.execute("create table marts.fct_invoice_lines as select 'line-1' as line_key, 1200 as amount_minor")
    return warehouse, analytics


def _warehouse(warehouse: Path, sql: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sql)


def _rows(path: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"select * from marts.{table} order by all").fetchall()


def _assert_same_marts(warehouse: Path, analytics: Path) -> None:
    with duckdb.connect(str(analytics), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
    assert tables == ["fct_invoice_lines", "fct_usage_daily"]
    for table in tables:
        assert _rows(analytics, table) == _rows(warehouse, table), table


def test_a_first_publication_copies_every_table_and_every_month(files):
    warehouse, analytics = files
    assert publish_marts(warehouse, analytics) == {
        "tables": {"fct_invoice_lines": 1, "fct_usage_daily": 6}, "months_copied": {"fct_usage_daily": 3},
    }
    _assert_same_marts(warehouse, analytics)


def test_a_month_rebuilt_by_dbt_is_the_only_month_copied_again(files):
    warehouse, analytics = files
    publish_marts(warehouse, analytics)
    _warehouse(warehouse, f"""update marts.fct_usage_daily set quantity = 99, build_id = 'build-2'
                              where service_month = '{MAR}'""")
    _warehouse(warehouse, "update marts.fct_invoice_lines set amount_minor = 1300")
    assert publish_marts(warehouse, analytics)["months_copied"] == {"fct_usage_daily": 1}
    _assert_same_marts(warehouse, analytics)
    assert _rows(analytics, "fct_invoice_lines") == [("line-1", 1300)]


def test_a_month_with_other_rows_than_published_is_copied_again_even_under_the_same_build(files):
    warehouse, analytics = files
    publish_marts(warehouse, analytics)
    _warehouse(warehouse, f"delete from marts.fct_usage_daily where service_month = '{FEB}' and tenant_id = 't2'")
    _warehouse(warehouse, f"""insert into marts.fct_usage_daily values ('t3', '2025-04-01', 1, 'build-1')""")
    assert publish_marts(warehouse, analytics)["months_copied"] == {"fct_usage_daily": 2}
    _assert_same_marts(warehouse, analytics)


def test_a_month_gone_from_the_warehouse_is_gone_from_the_analytics_file(files):
    warehouse, analytics = files
    publish_marts(warehouse, analytics)
    _warehouse(warehouse, f"delete from marts.fct_usage_daily where service_month = '{JAN}'")
    assert publish_marts(warehouse, analytics)["tables"]["fct_usage_daily"] == 4
    _assert_same_marts(warehouse, analytics)


def test_a_table_whose_columns_changed_is_written_again_whole(files):
    warehouse, analytics = files
    publish_marts(warehouse, analytics)
    _warehouse(warehouse, "alter table marts.fct_usage_daily add column unit varchar default 'users'")
    assert publish_marts(warehouse, analytics)["months_copied"] == {"fct_usage_daily": 3}
    _assert_same_marts(warehouse, analytics)
    assert {r[-1] for r in _rows(analytics, "fct_usage_daily")} == {"users"}


def test_an_analytics_file_holding_anything_but_the_marts_is_written_afresh(files):
    warehouse, analytics = files
    publish_marts(warehouse, analytics)
    with duckdb.connect(str(analytics)) as con:
        con.execute("create table main.my_notes as select 1 as n")
        con.execute("create view marts.my_view as select 1 as n")
    assert publish_marts(warehouse, analytics)["months_copied"] == {"fct_usage_daily": 3}
    _assert_same_marts(warehouse, analytics)
    with duckdb.connect(str(analytics), read_only=True) as con:
        assert con.execute("select count(*) from duckdb_views() where not internal").fetchone() == (0,)


def test_a_mart_dropped_from_the_warehouse_is_dropped_from_the_analytics_file(files):
    warehouse, analytics = files
    _warehouse(warehouse, "create table marts.fct_old as select 1 as n")
    publish_marts(warehouse, analytics)
    _warehouse(warehouse, "drop table marts.fct_old")
    assert set(publish_marts(warehouse, analytics)["tables"]) == {"fct_invoice_lines", "fct_usage_daily"}
    _assert_same_marts(warehouse, analytics)


def test_an_analytics_file_duckdb_cannot_open_is_replaced_by_a_new_one(files):
    warehouse, analytics = files
    analytics.write_bytes(b"not a database")
    assert publish_marts(warehouse, analytics)["months_copied"] == {"fct_usage_daily": 3}
    _assert_same_marts(warehouse, analytics)


def test_an_open_analyst_session_keeps_reading_the_file_it_opened(files):
    warehouse, analytics = files
    publish_marts(warehouse, analytics)
    analyst = duckdb.connect(str(analytics), read_only=True)
    try:
        _warehouse(warehouse, f"update marts.fct_usage_daily set quantity = 1, build_id = 'build-2' where service_month = '{JAN}'")
        publish_marts(warehouse, analytics)
        assert analyst.execute("select sum(quantity) from marts.fct_usage_daily").fetchone() == (63,)
    finally:
        analyst.close()
    assert _rows(analytics, "fct_usage_daily") == _rows(warehouse, "fct_usage_daily")
