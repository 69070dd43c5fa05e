from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

import pytest

from dagster_project.defs.paths import DBT_PROJECT_DIR
from dagster_project.defs.warehouse.cli_args import (
    CLOSE_MONTH_VARIABLE,
    build_args,
    dbt_environment,
    close_month_from_partition_key,
    dbt_target_path,
)
from dagster_project.definitions import defs
from tests.conftest import run_dbt, settings_in


def test_the_close_passes_its_month_and_the_settings_absolute_files_to_dbt(tmp_path):
    settings = settings_in(tmp_path).model_copy(update={"duckdb_memory_limit": "3GB", "duckdb_threads": 1})
    assert dbt_environment(settings, "2025-03-01") == {
        "WAREHOUSE_PATH": str(tmp_path / "w.duckdb"), "LEDGER_PATH": str(tmp_path / "l.duckdb"),
        "DUCKDB_MEMORY_LIMIT": "3GB", "DUCKDB_THREADS": "1", CLOSE_MONTH_VARIABLE: "2025-03-01",
    }


def test_the_daily_build_clears_any_close_month(tmp_path):
    assert dbt_environment(settings_in(tmp_path), None)[CLOSE_MONTH_VARIABLE] == ""


def test_runs_build_without_unit_tests_which_run_in_the_test_suite_and_without_json_artifacts(tmp_path):
    # int_recomputed_lines has unit tests: a plain build of it would run them.
    result = run_dbt(tmp_path, *build_args(), "--empty", "--exclude-resource-type", "test",
                     "--select", "+int_recomputed_lines")
    assert result.returncode == 0, result.stdout[-2000:]
    assert "OK created sql table model intermediate.int_recomputed_lines" in result.stdout
    assert "unit_test" not in result.stdout
    assert not (tmp_path / "target" / "run_results.json").exists()


def test_dbt_keeps_one_target_folder_beside_each_warehouse(tmp_path):
    assert dbt_target_path(str(tmp_path / "w" / "warehouse.duckdb")) == tmp_path / "w" / "dbt_target"


def test_a_partition_key_that_is_not_a_first_of_month_is_refused():
    with pytest.raises(ValueError, match="starts on the 1st"):
        close_month_from_partition_key("2025-03-02")


def test_dbt_tests_are_blocking_asset_checks_and_rejects_only_warn():
    graph = defs.resolve_asset_graph()
    checks = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert checks["assert_statement_rows_sum_to_their_line"].blocking
    assert checks["assert_proposed_lines_reconcile_to_recomputed_amounts"].blocking
    assert checks["assert_ingest_rows_reconcile"].blocking
    assert not checks["assert_no_usage_rejects_or_rejected_files"].blocking


def test_the_post_close_marts_come_after_the_ledger_emission():
    graph = defs.resolve_asset_graph()
    import dagster as dg

    parents = graph.get(dg.AssetKey(["marts", "fct_invoice_lines"])).parent_keys
    assert dg.AssetKey(["close", "monthly_close"]) in parents
    assert dg.AssetKey(["raw", "usage_events"]) in graph.get(dg.AssetKey(["staging", "stg_landing__usage_events"])).parent_keys


def test_the_daily_usage_mart_is_built_when_a_close_is_published_not_before_each_emission():
    from dagster_project.defs.warehouse.definitions import close_dbt_models, reporting_dbt_models
    import dagster as dg

    daily_mart = dg.AssetKey(["marts", "fct_usage_daily"])
    assert daily_mart in reporting_dbt_models.keys
    assert daily_mart not in close_dbt_models.keys


def test_dbt_docs_generate_works(tmp_path):
    result = run_dbt(tmp_path, "docs", "generate")
    assert result.returncode == 0, result.stdout[-2000:]
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    assert "metadata" in catalog
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    marts = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == "marts"]
    undocumented = [f"{n['name']}.{c}" for n in marts for c, col in n["columns"].items() if not col.get("description")]
    assert len(marts) >= 9 and undocumented == []


def test_every_dbt_unit_test_passes(tmp_path):
    """Runs leave unit tests out (build_args); this is where they run, on empty tables of the real schema."""
    for command in (["build", "--empty", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"],
                    ["test", "--select", "test_type:unit"]):
        result = run_dbt(tmp_path, *command)
        assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert len(statuses) == 15
    assert set(statuses.values()) == {"pass"}, statuses


def test_the_dbt_resource_knows_its_version_without_running_dbt_and_builds_no_adapter():
    from importlib.metadata import version

    from dagster_dbt import DbtCliResource

    from dagster_project.dbt_project import DBT_EXECUTABLE
    from dagster_project.defs.warehouse.resource import PartnerBillingDbtCli

    # The overridden members must still exist in dagster-dbt, or the overrides silently stop applying.
    assert isinstance(DbtCliResource.__dict__["_cli_version"], functools.cached_property)
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])
    resource = PartnerBillingDbtCli(project_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE)
    assert str(resource._cli_version) == version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_the_event_id_key_check_covers_the_landing_dates_no_close_has_billed_yet(tmp_path):
    """A copied id is caught on a date after the latest close date; the dates a close billed are not rescanned."""
    import duckdb

    warehouse, ledger = tmp_path / "w.duckdb", tmp_path / "l.duckdb"
    run_dbt(tmp_path, "parse")

    def key_check_passes_with_one_event_copied_on(*landing_dates: str) -> bool:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("delete from raw.usage_events; delete from raw.usage_partitions")
            for row_number, day in enumerate(landing_dates, start=1):
                con.execute("insert into raw.usage_events values (?, 'e1', hash('e1'), 't1', 'api_calls', 1, ?, ?, "
                            "'u.csv', ?)", [day, day, day, row_number])
                con.execute("insert into raw.usage_partitions values (?, 1, 0, 1, 1, 0, current_localtimestamp(), null)",
                            [day])
        out = run_dbt(tmp_path, "build", "--select", "stg_landing__usage_events").stdout
        assert "START test stg_landing__usage_events_one_row_per_event_id" in out, out[-2000:]
        return "PASS stg_landing__usage_events_one_row_per_event_id" in out

    assert not key_check_passes_with_one_event_copied_on("2025-02-02", "2025-02-03")
    with duckdb.connect(str(ledger)) as con:
        con.execute("insert into closes values ('2025-01-01', current_localtimestamp(), 'r1', 0, 0)")
    assert not key_check_passes_with_one_event_copied_on("2025-02-02", "2025-02-03")
    assert key_check_passes_with_one_event_copied_on("2025-01-30", "2025-01-31")


def _project_copy(tmp_path):
    import shutil

    from dagster_dbt import DbtProject

    shutil.copytree(DBT_PROJECT_DIR, tmp_path / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    return DbtProject(project_dir=tmp_path / "dbt", profiles_dir=tmp_path / "dbt")


def test_the_manifest_is_parsed_when_missing_and_again_only_after_a_dbt_file_changes(tmp_path):
    from dagster_project.dbt_project import ensure_manifest, manifest_is_current

    project = _project_copy(tmp_path)
    assert not manifest_is_current(project)
    ensure_manifest(project)
    parsed = project.manifest_path.stat().st_mtime_ns
    assert manifest_is_current(project)
    ensure_manifest(project)
    assert project.manifest_path.stat().st_mtime_ns == parsed
    model = next((tmp_path / "dbt" / "models" / "marts").glob("*.sql"))
    os.utime(model, ns=(parsed + 1_000_000_000, parsed + 1_000_000_000))
    assert not manifest_is_current(project)


def test_the_definitions_load_as_under_dagster_dev_from_a_process_without_the_venv_on_path(tmp_path):
    """`make dev` starts Dagster without activating the venv: parsing must not need `dbt` on PATH."""
    code = ("from dagster_project.dbt_project import dbt_project, parse; parse(dbt_project); "
            "from dagster_project.definitions import defs; print(len(list(defs.resolve_asset_graph().get_all_asset_keys())))")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DAGSTER_IS_DEV_CLI": "1",
           "WAREHOUSE_PATH": str(tmp_path / "w.duckdb"), "LEDGER_PATH": str(tmp_path / "l.duckdb")}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip().splitlines()[-1]) > 50


@pytest.mark.parametrize(("seed", "duplicate", "check"), [
    ("price_book", "active_users,user,max,eur,12.00,2020-01-01",
     "price_book_one_row_per_key"),
    ("partner_tiers", "Certified,600,35", "partner_tiers_one_row_per_tier"),
])
def test_a_duplicated_price_or_tier_fails_a_blocking_check_of_the_seed(tmp_path, seed, duplicate, check):
    import dagster as dg

    project = _project_copy(tmp_path)
    with (project.project_dir / "seeds" / f"{seed}.csv").open("a") as handle:
        handle.write(duplicate + "\n")
    result = run_dbt(tmp_path, "build", "--select", seed, "--project-dir", str(project.project_dir))
    assert result.returncode == 1
    assert f"FAIL 1 {check}" in result.stdout
    spec = defs.resolve_asset_graph().get_check_spec(dg.AssetCheckKey(dg.AssetKey(["seeds", seed]), check))
    assert spec.blocking
