"""What a reviewer reads in the Dagster UI: partitions from the go-live, names, groups, descriptions, run tags."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import dagster as dg
import pytest

from dagster_project.definitions import defs
from dagster_project.defs.ingest.definitions import daily_ingest_schedule, landing_folder_sensor
from dagster_project.defs.partitions import partition_starts
from dagster_project.defs.run_tags import CLOSE_MONTH_TAG, LANDING_DATE_TAG, RUN_KIND_TAG
from tests.conftest import settings_in

TODAY = date(2026, 12, 2)


def _landed(root, *dates: str):
    for day in dates:
        (root / "usage" / day).mkdir(parents=True)
    return root


@pytest.mark.parametrize(("folders", "billing_start", "expected"), [
    (["2025-01-01", "2025-01-02"], "", (date(2025, 1, 1), date(2025, 1, 1))),
    (["2025-03-15"], "", (date(2025, 3, 1), date(2025, 3, 1))),
    (["2025-03-15"], "2025-05", (date(2025, 3, 1), date(2025, 5, 1))),
    (["2025-06-02"], "2025-05", (date(2025, 5, 1), date(2025, 5, 1))),
    ([], "2025-05", (date(2025, 5, 1), date(2025, 5, 1))),
    ([], "", (date(2026, 12, 1), date(2026, 12, 1))),
    (["20250110", "notes"], "", (date(2026, 12, 1), date(2026, 12, 1))),
])
def test_partitions_start_at_the_go_live_else_the_first_landing_month_and_read_every_landed_folder(
        tmp_path, folders, billing_start, expected):
    assert partition_starts(_landed(tmp_path, *folders), billing_start, "", TODAY) == expected


def test_partitions_start_overrides_both_starts(tmp_path):
    assert partition_starts(_landed(tmp_path, "2025-03-15"), "2025-05", "2020-01", TODAY) == (
        date(2020, 1, 1), date(2020, 1, 1))


def test_a_run_loads_partitions_from_its_own_landing_zone(tmp_path):
    _landed(tmp_path / "landing", "2025-01-01", "2025-02-10")
    code = ("from dagster_project.defs.partitions import landing_dates, service_months; "
            "print(landing_dates.get_first_partition_key(), service_months.get_first_partition_key())")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANDING_DIR": str(tmp_path / "landing")}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["2025-01-01", "2025-01-01"]


def test_every_asset_has_a_group_and_a_description_in_words_not_sql():
    graph = defs.resolve_asset_graph()
    problems = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        text = node.description or ""
        if node.group_name in (None, "default") or len(text) < 20 or "Raw SQL" in text or "{{" in text:
            problems.append((key.to_user_string(), node.group_name, text[:60]))
    assert problems == []


def test_the_ledger_tables_are_grouped_and_say_what_appends_to_them():
    node = defs.resolve_asset_graph().get(dg.AssetKey(["ledger", "invoice_lines"]))
    assert node.group_name == "ledger"
    assert node.description == "Every emitted invoice line. Appended to by close/monthly_close; never rebuilt."


def test_every_job_schedule_and_sensor_says_what_it_does():
    repository = defs.get_repository_def()
    undescribed = [d.name for d in (*repository.schedule_defs, *repository.sensor_defs,
                                    *repository.get_all_jobs()) if not d.name.startswith("__") and not d.description]
    assert undescribed == []


def test_the_jobs_of_a_close_are_named_close():
    names = {job.name for job in defs.get_repository_def().get_all_jobs()}
    assert {"close_job", "close_emit_job", "close_publish_job"} <= names


def test_the_daily_ingest_run_is_tagged_with_its_landing_date_and_kind():
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2025, 3, 2, 0, 30))
    request = daily_ingest_schedule(context)
    assert request.partition_key == "2025-03-01"
    assert {k: request.tags[k] for k in (LANDING_DATE_TAG, RUN_KIND_TAG)} == {
        LANDING_DATE_TAG: "2025-03-01", RUN_KIND_TAG: "daily_ingest"}
    assert CLOSE_MONTH_TAG not in request.tags


def test_the_landing_sensor_tags_its_runs_with_the_landing_date(tmp_path):
    settings = settings_in(tmp_path)
    (tmp_path / "landing" / "usage" / "2025-03-01").mkdir(parents=True)
    (tmp_path / "landing" / "usage" / "2025-03-01" / "a.csv").write_text("x\n")
    [request] = list(landing_folder_sensor(dg.build_sensor_context(resources={"settings": settings})))
    assert (request.partition_key, request.tags[LANDING_DATE_TAG], request.tags[RUN_KIND_TAG]) == (
        "2025-03-01", "2025-03-01", "landed_files")
