"""What a reviewer reads in the Dagster UI: partitions from the go-live, names, groups, descriptions, run tags."""

from __future__ import annotations

import re

import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal

import dagster as dg
import pytest

from dagster_project.definitions import defs
from dagster_project.defs.close.definitions import BLOCKING_CHECKS
from dagster_project.defs.close.review import (
    Adjustment,
    CreditTotals,
    CurrencySide,
    StatementReconciliation,
    adjustment_reason,
    adjustments_markdown,
    credits_table,
    money,
    statements_markdown,
    totals_table,
)
from dagster_project.defs.warehouse.definitions import close_dbt_models
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


def test_every_asset_has_a_group_and_a_description_in_words_not_sql_saying_whom_it_is_for():
    graph = defs.resolve_asset_graph()
    problems = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        text = node.description or ""
        if (node.group_name in (None, "default") or len(text) < 20 or "Raw SQL" in text or "{{" in text
                or not re.search(r"\b[Ff]or (the |each |engineers|analysts|finance)", text)):
            problems.append((key.to_user_string(), node.group_name, text[:60]))
    assert problems == []


def test_the_ledger_tables_are_grouped_and_say_what_appends_to_them():
    node = defs.resolve_asset_graph().get(dg.AssetKey(["ledger", "invoice_lines"]))
    assert node.group_name == "ledger"
    assert node.description == ("Every emitted invoice line. Appended to by close/monthly_close; never rebuilt. "
                                "For finance and auditors: the record of what was billed.")


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


def test_money_is_shown_in_major_units_with_the_upper_case_code_exactly():
    assert money(38447312, 2, "dkk") == "384,473.12 DKK"
    assert money(-5, 2, "eur") == "-0.05 EUR"
    assert money(1200, 0, "jpy") == "1,200 JPY"


def test_the_close_shows_credit_charged_purchased_drawn_expired_and_moved_per_currency_in_major_units():
    rows = [CreditTotals("eur", 2, 1550000, 1600000, 420000, 0, 250000, 0),
            CreditTotals("sek", 2, 100000, 100000, 9700, 97000, 0, 1)]
    assert [tuple(r.data.values()) for r in credits_table(rows).records] == [
        ("EUR", "15,500.00 EUR", "16,000.00 EUR", "4,200.00 EUR", "0.00 EUR", "2,500.00 EUR", 0),
        ("SEK", "1,000.00 SEK", "1,000.00 SEK", "97.00 SEK", "970.00 SEK", "0.00 SEK", 1),
    ]


def test_the_close_totals_put_partner_and_direct_side_by_side_per_currency():
    rows = [CurrencySide("eur", 2, "partner", 2, 8, 100000, -2500, 1000, 98500),
            CurrencySide("eur", 2, "tenant", 3, 4, 40000, 0, 0, 40000),
            CurrencySide("jpy", 0, "tenant", 1, 1, 1200, 0, 0, 1200)]
    table = [tuple(r.data.values()) for r in totals_table(rows).records]
    assert table == [
        ("EUR", "invoices", "2", "3", "5"),
        ("EUR", "lines", "8", "4", "12"),
        ("EUR", "usage", "1,000.00 EUR", "400.00 EUR", "1,400.00 EUR"),
        ("EUR", "adjustments", "-25.00 EUR", "0.00 EUR", "-25.00 EUR"),
        ("EUR", "commitments", "10.00 EUR", "0.00 EUR", "10.00 EUR"),
        ("EUR", "total", "985.00 EUR", "400.00 EUR", "1,385.00 EUR"),
        ("JPY", "invoices", "0", "1", "1"),
        ("JPY", "lines", "0", "1", "1"),
        ("JPY", "usage", "0 JPY", "1,200 JPY", "1,200 JPY"),
        ("JPY", "adjustments", "0 JPY", "0 JPY", "0 JPY"),
        ("JPY", "commitments", "0 JPY", "0 JPY", "0 JPY"),
        ("JPY", "total", "0 JPY", "1,200 JPY", "1,200 JPY"),
    ]


def _adjustment(account: str, amount: int, quantity: str = "0", tier: str | None = None) -> Adjustment:
    return Adjustment("partner" if tier else "tenant", account, "2025-01", "api_calls", Decimal(quantity), tier,
                      amount, "eur", 2)


def test_adjustments_list_the_largest_twenty_by_amount_with_the_total_of_all_and_why():
    adjustments = [_adjustment(f"T{n:03d}", n * 100, quantity=str(n)) for n in range(1, 23)]
    adjustments.append(_adjustment("P001", -9999, tier="Gold"))
    text = adjustments_markdown(adjustments)
    lines = text.splitlines()
    total = sum(n * 100 for n in range(1, 23)) - 9999
    assert lines[0] == f"The largest 20 of 23 adjustments, by amount. Total of all: {money(total, 2, 'eur')}."
    rows = lines[4:]
    assert len(rows) == 20
    assert rows[0] == "| P001 | Partner | 2025-01 | api_calls | -99.99 EUR | price or tier change (Gold tier) |"
    assert rows[1] == "| T022 | Direct | 2025-01 | api_calls | 22.00 EUR | quantity +22 |"
    assert "T002" not in text and "T003 " not in text


def test_a_negative_quantity_difference_is_given_as_the_reason():
    assert adjustment_reason(_adjustment("T1", -300, quantity="-1.500000")) == "quantity -1.5"


def test_statements_are_shown_beside_the_partner_invoices_with_their_difference():
    text = statements_markdown([StatementReconciliation("eur", 2, 97500, 97500),
                                StatementReconciliation("dkk", 2, 100, 0)])
    assert text.splitlines()[2:] == ["| DKK | 1.00 DKK | 0.00 DKK | 1.00 DKK |",
                                     "| EUR | 975.00 EUR | 975.00 EUR | 0.00 EUR |"]


def test_the_close_lists_every_blocking_check_of_the_close_with_what_it_holds():
    text = BLOCKING_CHECKS
    blocking = [s for s in close_dbt_models.check_specs if s.blocking]
    assert text.splitlines()[0] == f"{len(blocking)} blocking checks passed."
    assert ("| assert_usage_has_a_list_price | intermediate/int_recomputed_lines | A returned row is a billing "
            "line with usage in a currency for which the price book has no list price") in text
    assert all(s.description for s in blocking)


def test_generic_dbt_tests_are_described_in_words():
    graph = defs.resolve_asset_graph()
    spec = graph.get_check_spec(dg.AssetCheckKey(
        dg.AssetKey(["staging", "stg_landing__partners"]),
        "stg_landing__partners_parent_partner_id_is_known"))
    assert spec.description == ("Every stg_landing__partners.parent_partner_id is a partner_id of "
                                "stg_landing__partners. A failing row names one that is not.")
    assert all(graph.get_check_spec(k).description for k in graph.asset_check_keys)


def test_every_check_has_a_short_name_that_reads_as_what_it_holds():
    names = [key.name for key in defs.resolve_asset_graph().asset_check_keys]
    assert [n for n in names if len(n) > 60 or n.startswith(("unique_key_", "not_null_", "relationships_",
                                                              "accepted_values_"))] == []
    assert "stg_landing__assignments_tenant_id_is_known" in names
    assert "fct_invoice_lines_one_row_per_line_key" in names
