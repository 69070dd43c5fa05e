"""The ingest job through Dagster, as the CLI and the schedules run it."""

from __future__ import annotations

from datetime import date, datetime, timezone

import dagster as dg
import duckdb
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from dagster_project.defs.ingest.definitions import ingest_job, account_files, usage_events, daily_ingest_schedule
from dagster_project.duckdb_files import DuckDBFileLocked, connect
from tests.conftest import settings_in
from tests.landing import USAGE_HEADER, write_accounts, write_csv


def _run_range(settings, start, end):
    defs = dg.Definitions(assets=[account_files, usage_events], jobs=[ingest_job], resources={"settings": settings})
    return defs.resolve_job_def("ingest_job").execute_in_process(
        tags={ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end}, raise_on_error=False
    )


def _two_landing_dates(tmp_path, *more_on_the_third: list[str]):
    """e1 on 2025-01-01; e2 (t1) and e3 (unknown tenant t7), and any more rows, on 2025-01-03."""
    landing = tmp_path / "landing"
    write_accounts(landing)
    write_csv(landing / "usage/2025-01-01/u.csv", USAGE_HEADER, [["e1", "t1", "api_calls", "1", "2025-01-01T01:00Z"]])
    write_csv(landing / "usage/2025-01-03/u.csv", USAGE_HEADER, [["e2", "t1", "api_calls", "1", "2025-01-03T01:00Z"],
                                                                 ["e3", "t7", "api_calls", "1", "2025-01-03T01:00Z"],
                                                                 *more_on_the_third])
    return landing


def test_one_run_ingests_a_range_of_landing_dates_and_reports_checks(tmp_path):
    settings = settings_in(tmp_path)
    landing = _two_landing_dates(tmp_path)
    (landing / "usage/2025-01-03/x.parquet").write_bytes(b"PAR1garbage")

    result = _run_range(settings, "2025-01-01", "2025-01-03")

    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["rows_read_equal_accepted_plus_rejected"].passed
    reject_check = checks["no_rejected_rows_or_files"]
    assert not reject_check.passed and reject_check.severity == dg.AssetCheckSeverity.WARN
    assert "usage/2025-01-03/x.parquet" in reject_check.metadata["rejected_files"].value
    assert reject_check.metadata["rejected_rows_by_reason"].value == {"unknown_tenant": 1}
    with duckdb.connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("select landing_date, rows_read, rows_accepted, rows_rejected, files_rejected from raw.usage_partitions order by 1").fetchall() == [
            (date(2025, 1, 1), 1, 1, 0, 0), (date(2025, 1, 2), 0, 0, 0, 0), (date(2025, 1, 3), 2, 1, 1, 1),
        ]


def test_an_unusable_accounts_file_fails_the_run_before_usage_is_read(tmp_path):
    settings = settings_in(tmp_path)
    write_accounts(tmp_path / "landing")
    (tmp_path / "landing/accounts/tenants.csv").write_text("tenant_id,name\nt1,x\n")
    result = _run_range(settings, "2025-01-01", "2025-01-01")
    assert not result.success
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert failed == ["account_files"]
    assert "usage_events" not in started


def test_the_daily_schedule_ingests_the_day_that_just_ended_with_a_run_key():
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2025, 3, 2, 0, 30, tzinfo=timezone.utc))
    request = daily_ingest_schedule(context)
    assert request.partition_key == "2025-03-01"
    assert request.run_key == "daily-ingest-2025-03-01"


def test_a_file_locked_by_another_process_is_reported_in_one_sentence_naming_it(tmp_path):
    import subprocess
    import sys
    import time

    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(DuckDBFileLocked) as error:
            with connect(path, attempts=2, wait_seconds=0.1):
                pass
        assert str(error.value).startswith(f"The DuckDB file {path} is locked by another process")
    finally:
        holder.kill()


def test_each_landing_date_of_a_ranged_run_reports_its_own_rows(tmp_path):
    settings = settings_in(tmp_path)
    _two_landing_dates(tmp_path, ["e4", "t1", "nope", "1", "2025-01-03T01:00Z"])
    result = _run_range(settings, "2025-01-01", "2025-01-03")
    observed = {e.event_specific_data.asset_observation.partition: e.event_specific_data.asset_observation.metadata
                for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"}
    counts = {key: {name: value.value for name, value in metadata.items()} for key, metadata in observed.items()}
    assert counts == {
        "2025-01-01": {"rows_read": 1, "rows_accepted": 1, "rows_rejected": 0, "files_unreadable": 0},
        "2025-01-02": {"rows_read": 0, "rows_accepted": 0, "rows_rejected": 0, "files_unreadable": 0},
        "2025-01-03": {"rows_read": 3, "rows_accepted": 1, "rows_rejected": 2, "rows_rejected_unknown_tenant": 1,
                       "rows_rejected_unknown_metric": 1, "files_unreadable": 0},
    }
    reject_check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "no_rejected_rows_or_files")
    assert reject_check.metadata["rejected_rows"].value == 2
    assert reject_check.metadata["rejected_rows_by_landing_date"].value.splitlines()[2:] == [
        "| 2025-01-03 | unknown_tenant | 1 |", "| 2025-01-03 | unknown_metric | 1 |"]
