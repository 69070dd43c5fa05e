from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.defs.paths import DBT_PROJECT_DIR
from dagster_project.defs.warehouse.cli_args import build_args, close_month_from_partition_key, close_vars
from dagster_project.definitions import defs


def test_the_close_passes_its_month_partition_as_the_close_month_var():
    assert build_args("2025-03-01") == ["build", "--vars", json.dumps({"close_month": "2025-03-01"})]
    assert json.loads(close_vars("2025-12-01")) == {"close_month": "2025-12-01"}


def test_the_daily_build_passes_no_month():
    assert build_args() == ["build"]


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
    assert dg.AssetKey(["ledger", "emitted_invoice_lines"]) in parents
    assert dg.AssetKey(["raw", "usage_events"]) in graph.get(dg.AssetKey(["staging", "stg_landing__usage_events"])).parent_keys


def test_dbt_docs_generate_works(tmp_path):
    env = {**os.environ, "WAREHOUSE_PATH": str(tmp_path / "w.duckdb"), "LEDGER_PATH": str(tmp_path / "l.duckdb")}
    dbt = str(Path(sys.executable).parent / "dbt")
    result = subprocess.run([dbt, "docs", "generate", "--profiles-dir", ".", "--target-path", str(tmp_path / "target")],
                            cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    assert "metadata" in catalog
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    marts = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == "marts"]
    undocumented = [f"{n['name']}.{c}" for n in marts for c, col in n["columns"].items() if not col.get("description")]
    assert len(marts) >= 9 and undocumented == []
