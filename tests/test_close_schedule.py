"""The one close plan, and the unattended close that follows it:
schedule on the 1st -> ingest for the close -> sensor -> close -> publication."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.defs.close.definitions import alerts_after_close, close_when_ingested, monthly_close_schedule
from dagster_project.defs.close.plan import close_plan
from dagster_project.defs.run_tags import CLOSE_MONTH_TAG, RUN_KIND_TAG
from dagster_project.defs.partitions import next_month
from dagster_project.defs.settings import PipelineSettings
from ingest.accounts import load_accounts
from ingest.usage import ingest_usage_partitions
from tests.conftest import clear_pipeline_environment, run_arguments, settings_in
from tests.landing import USAGE_HEADER, write_accounts, write_csv

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def _landing(root: Path) -> Path:
    landing = root / "landing"
    write_accounts(landing)
    for day in ("2025-02-27", "2025-03-01", "2025-03-02"):
        write_csv(landing / "usage" / day / "u.csv", USAGE_HEADER, [[f"e{day}", "t1", "api_calls", "1", f"{day}T01:00Z"]])
    return landing


def _ingest(settings: PipelineSettings, *days: date) -> None:
    with duckdb.connect(settings.warehouse_path) as con:
        load_accounts(con, Path(settings.landing_dir))
        ingest_usage_partitions(con, Path(settings.landing_dir), list(days), ["api_calls"], None)


def test_the_plan_ingests_the_missing_landing_dates_through_the_close_date_then_closes(tmp_path):
    _landing(tmp_path)
    ingest, close = close_plan(settings_in(tmp_path), date(2025, 2, 1))
    assert (ingest.job_name, ingest.tags[RANGE_START], ingest.tags[RANGE_END]) == ("ingest_job", "2025-02-27", "2025-03-01")
    assert ingest.run_key == "close-2025-02-ingest-2025-02-27-2025-03-01"
    assert (close.job_name, close.partition_key, close.run_key) == ("close_job", "2025-02-01", "close-2025-02")
    assert [r.tags[RUN_KIND_TAG] for r in (ingest, close)] == ["ingest", "close"]
    assert {r.tags[CLOSE_MONTH_TAG] for r in (ingest, close)} == {"2025-02"}


def test_with_every_date_ingested_the_plan_is_the_close_alone(tmp_path):
    _landing(tmp_path)
    settings = settings_in(tmp_path)
    _ingest(settings, date(2025, 2, 27), date(2025, 3, 1))
    [close] = close_plan(settings, date(2025, 2, 1))
    assert close.job_name == "close_job"


def test_a_replay_plan_ingests_through_its_last_close_date_and_stops_at_the_emission(tmp_path):
    _landing(tmp_path)
    ingest, emit = close_plan(settings_in(tmp_path), date(2025, 2, 1), publish=False, ingest_through=date(2025, 4, 1))
    assert (ingest.tags[RANGE_START], ingest.tags[RANGE_END]) == ("2025-02-27", "2025-03-02")
    assert (emit.job_name, emit.tags[RUN_KIND_TAG]) == ("close_emit_job", "emit")


def test_the_plan_reingests_dates_whose_unknown_tenant_the_landed_tenants_file_now_has(tmp_path):
    landing = _landing(tmp_path)
    write_csv(landing / "usage/2025-02-27/v.csv", USAGE_HEADER, [["late", "t9", "api_calls", "1", "2025-02-27T02:00Z"]])
    settings = settings_in(tmp_path)
    _ingest(settings, date(2025, 2, 27), date(2025, 3, 1))
    assert [r.job_name for r in close_plan(settings, date(2025, 2, 1))] == ["close_job"]
    # Only the file changes: the plan must not wait for raw.tenants to be reloaded.
    write_accounts(landing, tenants=[("t1", "eur"), ("t2", "eur"), ("t9", "eur")])
    reingest, close = close_plan(settings, date(2025, 2, 1))
    assert (reingest.tags[RANGE_START], reingest.tags[RANGE_END]) == ("2025-02-27", "2025-02-27")
    assert close.job_name == "close_job"


def test_the_monthly_schedule_launches_the_first_run_of_the_close_plan_of_the_month_that_ended(tmp_path):
    _landing(tmp_path)
    settings = settings_in(tmp_path)
    _ingest(settings, date(2025, 2, 27))
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2025, 3, 1, 6, 0, tzinfo=timezone.utc),
                                        resources={"settings": settings})
    request = monthly_close_schedule(context)
    assert request == close_plan(settings, date(2025, 2, 1))[0]
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2025-03-01", "2025-03-01")


def _sensor_request(instance, run, settings):
    context = dg.build_run_status_sensor_context(
        sensor_name=close_when_ingested.name, dagster_instance=instance, dagster_run=run,
        dagster_event=dg.DagsterEvent(event_type_value="PIPELINE_SUCCESS", job_name=run.job_name),
        resources={"settings": settings},
    )
    return close_when_ingested(context)


def test_after_the_ingest_the_sensor_launches_the_close_once_by_run_key(tmp_path):
    _landing(tmp_path)
    settings = settings_in(tmp_path)
    _ingest(settings, date(2025, 2, 27), date(2025, 3, 1))
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(dg.GraphDefinition(name="g", node_defs=[]).to_job(name="ingest_job"),
                                      tags={CLOSE_MONTH_TAG: "2025-02"})
    request = _sensor_request(instance, run, settings)
    assert (request.job_name, request.partition_key, request.run_key) == ("close_job", "2025-02-01", "close-2025-02")


def test_the_sensor_ignores_an_ingest_that_is_not_for_a_close(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(dg.GraphDefinition(name="g", node_defs=[]).to_job(name="ingest_job"))
    assert isinstance(_sensor_request(instance, run, settings_in(tmp_path)), dg.SkipReason)


def test_after_a_close_the_alerts_are_evaluated_once_by_run_key():
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(dg.GraphDefinition(name="g", node_defs=[]).to_job(name="close_job"),
                                      tags={CLOSE_MONTH_TAG: "2025-02"})
    context = dg.build_run_status_sensor_context(
        sensor_name=alerts_after_close.name, dagster_instance=instance, dagster_run=run,
        dagster_event=dg.DagsterEvent(event_type_value="PIPELINE_SUCCESS", job_name=run.job_name))
    request = alerts_after_close(context)
    assert (request.job_name, request.run_key) == ("alerts_job", f"alerts-after-{run.run_id}")
    assert request.tags[CLOSE_MONTH_TAG] == "2025-02"


@pytest.fixture(scope="module")
def sample_landing(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("landing") / "landing"
    assert main(["sample", "--landing", str(landing), "--months", "2", "--partners", "6", "--tenants", "30",
                 "--events-per-tenant-day", "2"]) == 0
    return landing


def _scheduled_close(defs: dg.Definitions, instance: dg.DagsterInstance, settings: PipelineSettings,
                     month: date) -> list[dg.ExecuteInProcessResult]:
    """What the daemon does for one close: the schedule's tick, then the sensor after each ingest run."""
    from dagster_project.replay import launch

    tick = datetime.combine(next_month(month), datetime.min.time(), timezone.utc).replace(hour=6)
    request = monthly_close_schedule(dg.build_schedule_context(scheduled_execution_time=tick,
                                                               resources={"settings": settings}))
    results = [launch(defs, instance, request)]
    while request.job_name == "ingest_job":
        request = _sensor_request(instance, results[-1].dagster_run, settings)
        results.append(launch(defs, instance, request))
    return results


def _emitted(root: Path) -> list[tuple]:
    with duckdb.connect(str(root / "l.duckdb"), read_only=True) as con:
        return con.execute("""select * exclude (emitted_at, run_id) from invoice_lines order by line_key""").fetchall()


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root / "exports")): p.read_bytes() for p in sorted((root / "exports").rglob("*.csv"))}


def test_the_scheduled_close_bills_exactly_what_partner_billing_run_bills(sample_landing, tmp_path):
    scheduled, replayed = tmp_path / "scheduled", tmp_path / "replayed"
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        mp.setenv("BILLING_START", "2025-01")
        assert main(run_arguments(replayed, "2025-02", landing=sample_landing)) == 0

    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        mp.setenv("BILLING_START", "2025-01")
        settings = settings_in(scheduled).model_copy(update={"landing_dir": str(sample_landing)})
        for field, variable in (("landing_dir", "LANDING_DIR"), ("warehouse_path", "WAREHOUSE_PATH"),
                                ("ledger_path", "LEDGER_PATH"), ("analytics_path", "ANALYTICS_PATH"),
                                ("exports_dir", "EXPORTS_DIR")):
            mp.setenv(variable, getattr(settings, field))
        from dagster_project.definitions import build_definitions

        defs, instance = build_definitions(), dg.DagsterInstance.ephemeral()
        january = _scheduled_close(defs, instance, PipelineSettings.from_env(), date(2025, 1, 1))
        february = _scheduled_close(defs, instance, PipelineSettings.from_env(), date(2025, 2, 1))

    assert [r.dagster_run.job_name for r in january] == ["ingest_job", "close_job"]
    assert [r.dagster_run.job_name for r in february] == ["ingest_job", "close_job"]
    assert [r.dagster_run.tags[CLOSE_MONTH_TAG] for r in january + february] == ["2025-01"] * 2 + ["2025-02"] * 2
    lines = _emitted(scheduled)
    assert len(lines) > 20
    assert lines == _emitted(replayed)
    assert _files(scheduled) == _files(replayed)
    assert {name.split("/")[0] for name in _files(scheduled)} == {"2025-01", "2025-02"}
    shutil.rmtree(tmp_path)
