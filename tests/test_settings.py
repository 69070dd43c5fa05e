"""The one table of settings: every default is stated once, and the other places that show one agree."""

from __future__ import annotations

import re

import pytest

from dagster_project.defs.paths import DBT_PROJECT_DIR, REPO_ROOT
from dagster_project.defs.settings import DEFAULTS, PipelineSettings, env_example
from dagster_project.defs.stripe.definitions import StripeSettings
from tests.conftest import clear_pipeline_environment


def test_env_example_is_the_settings_table_written_out():
    assert (REPO_ROOT / ".env.example").read_text() == env_example()


def test_every_default_profiles_yml_gives_dbt_run_by_hand_is_the_settings_default():
    profiles = (DBT_PROJECT_DIR / "profiles.yml").read_text()
    defaults = dict(re.findall(r"env_var\('(\w+)', '([^']*)'\)", profiles))
    assert set(defaults) == {"WAREHOUSE_PATH", "LEDGER_PATH", "DUCKDB_MEMORY_LIMIT", "DUCKDB_THREADS"}
    for name, default in defaults.items():
        # profiles.yml is read from dbt/, the settings' relative paths from the repository root.
        expected = f"../{DEFAULTS[name]}" if name.endswith("_PATH") else DEFAULTS[name]
        assert default == expected, name


def test_without_any_variable_the_settings_are_the_spec_defaults_as_absolute_paths(tmp_path):
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        mp.chdir(tmp_path)
        settings, stripe = PipelineSettings.from_env(), StripeSettings.from_env()
    assert settings.warehouse_path == str(tmp_path / "data" / "warehouse.duckdb")
    assert settings.exports_dir == str(tmp_path / "data" / "exports")
    assert (settings.billing_start, settings.duckdb_memory_limit, settings.duckdb_threads) == ("", "5GB", 2)
    assert (stripe.mode, stripe.requests_per_second, stripe.finalize) == ("outbox", 25, False)


def test_loading_the_definitions_changes_no_environment_variable(tmp_path):
    import os

    from dagster_project.definitions import build_definitions

    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        mp.setenv("WAREHOUSE_PATH", "relative/w.duckdb")
        before = dict(os.environ)
        build_definitions()
        assert dict(os.environ) == before


def test_dbt_checks_account_ids_with_the_id_pattern_ingest_checks_event_ids_with():
    import yaml

    from ingest.schema import ID_PATTERN

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    assert project["vars"]["id_pattern"] == ID_PATTERN
