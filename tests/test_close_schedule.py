"""The unattended close: schedule on the 1st -> ingest for the close -> sensor -> close, once."""

from __future__ import annotations

from datetime import date, datetime, timezone

import dagster as dg
import duckdb

from dagster_project.defs.close.definitions import CLOSE_MONTH_TAG, close_when_ingested, monthly_close_schedule
from dagster_project.defs.settings import PipelineSettings
from ingest.accounts import load_accounts
from ingest.usage import ingest_usage_partition
from tests.landing import USAGE_HEADER, write_accounts, write_csv


def _settings(tmp_path) -> PipelineSettings:
    return PipelineSettings(landing_dir=str(tmp_path / "landing"), warehouse_path=str(tmp_path / "w.duckdb"),
                            ledger_path=str(tmp_path / "l.duckdb"), analytics_path=str(tmp_path / "a.duckdb"),
                            exports_dir=str(tmp_path / "exports"))


def _landing(tmp_path):
    landing = tmp_path / "landing"
    write_accounts(landing)
    for day in ("2025-02-27", "2025-03-01", "2025-03-02"):
        write_csv(landing / "usage" / day / "u.csv", USAGE_HEADER, [[f"e{day}", "t1", "api_calls", "1", f"{day}T01:00Z"]])
    return landing


def test_the_monthly_schedule_ingests_from_the_first_missing_date_through_the_close_date(tmp_path):
    _landing(tmp_path)
    settings = _settings(tmp_path)
    with duckdb.connect(settings.warehouse_path) as con:
        load_accounts(con, tmp_path / "landing")
        ingest_usage_partition(con, tmp_path / "landing", date(2025, 2, 27), ["api_calls"], None)
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2025, 3, 1, 6, 0, tzinfo=timezone.utc),
                                        resources={"settings": settings})
    request = monthly_close_schedule(context)
    assert request.run_key == "close-2025-02-ingest"
    assert request.tags["dagster/asset_partition_range_start"] == "2025-03-01"
    assert request.tags["dagster/asset_partition_range_end"] == "2025-03-01"
    assert request.tags[CLOSE_MONTH_TAG] == "2025-02-01"


def test_after_the_ingest_the_sensor_requests_the_close_once_by_run_key(tmp_path):
    _landing(tmp_path)
    settings = _settings(tmp_path)
    with duckdb.connect(settings.warehouse_path) as con:
        load_accounts(con, tmp_path / "landing")
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(
        dg.GraphDefinition(name="g", node_defs=[]).to_job(name="ingest_job"),
        tags={CLOSE_MONTH_TAG: "2025-02-01"},
    )
    context = dg.build_run_status_sensor_context(
        sensor_name=close_when_ingested.name, dagster_instance=instance, dagster_run=run,
        dagster_event=dg.DagsterEvent(event_type_value="PIPELINE_SUCCESS", job_name="ingest_job"),
        resources={"settings": settings},
    )
    request = close_when_ingested(context)
    assert (request.job_name, request.partition_key, request.run_key) == ("close_job", "2025-02-01", "close-2025-02")


def test_the_sensor_first_reingests_dates_whose_unknown_tenant_became_known(tmp_path):
    landing = _landing(tmp_path)
    write_csv(landing / "usage/2025-02-27/v.csv", USAGE_HEADER, [["late", "t9", "api_calls", "1", "2025-02-27T02:00Z"]])
    settings = _settings(tmp_path)
    with duckdb.connect(settings.warehouse_path) as con:
        load_accounts(con, landing)
        ingest_usage_partition(con, landing, date(2025, 2, 27), ["api_calls"], None)
        write_accounts(landing, tenants=[("t1", "eur"), ("t2", "eur"), ("t9", "eur")])
        load_accounts(con, landing)
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(dg.GraphDefinition(name="g", node_defs=[]).to_job(name="ingest_job"),
                                      tags={CLOSE_MONTH_TAG: "2025-02-01"})
    context = dg.build_run_status_sensor_context(
        sensor_name=close_when_ingested.name, dagster_instance=instance, dagster_run=run,
        dagster_event=dg.DagsterEvent(event_type_value="PIPELINE_SUCCESS", job_name="ingest_job"),
        resources={"settings": settings},
    )
    request = close_when_ingested(context)
    assert request.job_name == "ingest_job"
    assert request.tags["dagster/asset_partition_range_start"] == "2025-02-27"
    assert request.run_key == "close-2025-02-reingest-2025-02-27-2025-02-27"
