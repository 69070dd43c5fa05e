"""fct_usage_daily and int_usage_monthly are rebuilt per service month, only
where their inputs changed, and always equal a full rebuild (tests/scenario.py:
late usage for January lands in February)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.defs.warehouse.cli_args import CLOSE_MONTH_VARIABLE
from tests.conftest import clear_pipeline_environment, run_dbt
from tests.scenario import write_scenario

# build_id names the build, so it differs between an incremental and a full build of the same rows.
ROWS = "select * exclude (build_id) from marts.fct_usage_daily order by tenant_id, usage_date, metric"
MONTHLY_ROWS = "select * from intermediate.int_usage_monthly order by tenant_id, service_month, metric"


def _dbt_build(root: Path, model: str, *extra: str) -> None:
    result = run_dbt(root, "build", "--select", model, *extra, **{CLOSE_MONTH_VARIABLE: "2025-02-01"})
    assert result.returncode == 0, result.stdout[-2000:]


def _query(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "w.duckdb")) as con:
        return con.execute(sql).fetchall()


def test_the_usage_models_rebuild_only_the_months_whose_inputs_changed(tmp_path):
    write_scenario(tmp_path / "landing")
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        mp.chdir(tmp_path)
        common = ["--landing", "landing", "--warehouse", "w.duckdb", "--ledger", "l.duckdb",
                  "--analytics", "a.duckdb", "--exports", "exports"]
        assert main(["run", "--through", "2025-01", *common]) == 0
        january_before = _query(tmp_path, "select count(*), sum(events) from marts.fct_usage_daily")
        # February's close sees ta2's late January usage: January is rebuilt, February added.
        assert main(["run", "--through", "2025-02", *common]) == 0
    assert _query(tmp_path, """select count(*), sum(events) from marts.fct_usage_daily
                               where service_month = '2025-01-01'""") != january_before
    # February's publication started from January's analytics file and copied the months rebuilt.
    with duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True) as analytics:
        assert analytics.execute(ROWS).fetchall() == _query(tmp_path, ROWS)
    _assert_daily_usage_rebuilds_only_changed_months(tmp_path)
    _assert_monthly_usage_rebuilds_only_changed_months(tmp_path)


def _assert_daily_usage_rebuilds_only_changed_months(tmp_path: Path) -> None:
    assert _query(tmp_path, """select max_quantity from marts.fct_usage_daily
                               where tenant_id = 'ta2' and usage_date = '2025-01-30' and metric = 'active_users'""") == [
        (600,)
    ]
    _assert_rebuilds_only_changed_months(tmp_path, "marts.fct_usage_daily", ROWS, events_column=6)
    # The full refresh built February; the build after it rebuilt January alone.
    builds = _query(tmp_path, "select service_month, count(distinct build_id) from marts.fct_usage_daily group by 1")
    assert sorted(n for _, n in builds) == [1, 1]
    assert _query(tmp_path, "select count(distinct build_id) from marts.fct_usage_daily") == [(2,)]


def _assert_monthly_usage_rebuilds_only_changed_months(tmp_path: Path) -> None:
    assert _query(tmp_path, """select billable_quantity, days_with_usage, events from intermediate.int_usage_monthly
                               where tenant_id = 'ta2' and service_month = '2025-01-01' and metric = 'active_users'""") == [
        (600, 2, 2)
    ]
    incremental = _assert_rebuilds_only_changed_months(tmp_path, "intermediate.int_usage_monthly", MONTHLY_ROWS,
                                                       events_column=7)

    # A table built before it had fingerprints (an older warehouse) is built again in full.
    _query(tmp_path, "alter table intermediate.int_usage_monthly drop column inputs_fingerprint")
    _query(tmp_path, "update intermediate.int_usage_monthly set events = -1")
    _dbt_build(tmp_path, "int_usage_monthly")
    assert _query(tmp_path, MONTHLY_ROWS) == incremental


def _assert_rebuilds_only_changed_months(tmp_path: Path, table: str, rows_sql: str, events_column: int) -> list[tuple]:
    """The table equals a full rebuild; a month whose stored inputs no longer match is rebuilt,
    one whose inputs match is kept as it is. Returns the rows as built incrementally."""
    model = table.split(".")[1]
    incremental = _query(tmp_path, rows_sql)
    _dbt_build(tmp_path, model, "--full-refresh")
    assert _query(tmp_path, rows_sql) == incremental

    _query(tmp_path, f"update {table} set events = -1, inputs_fingerprint = 'stale' where service_month = '2025-01-01'")
    _query(tmp_path, f"update {table} set events = -1 where service_month = '2025-02-01'")
    _dbt_build(tmp_path, model)
    after = _query(tmp_path, rows_sql)
    assert [r for r in after if r[2].month == 1] == [r for r in incremental if r[2].month == 1]
    assert {r[events_column] for r in after if r[2].month == 2} == {-1}
    return incremental
