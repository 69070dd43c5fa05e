"""Errors in accounts, pricing or seeds block the close before anything is emitted."""

from __future__ import annotations

import shutil
from datetime import date

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.defs.paths import REPO_ROOT
from dagster_project.defs.close.emission import CloseRefused, check_close_order
from tests.landing import USAGE_HEADER, write_csv
from tests.conftest import clear_pipeline_environment
from tests.scenario import ASSIGNMENTS, PARTNERS, TENANTS, write_scenario


PARTNER_HEADER = ["partner_id", "name", "parent_partner_id", "bills_via_parent", "currency", "country",
                  "tier_floor", "stripe_customer_id"]


def _close_january(tmp_path, monkeypatch, capsys) -> str:
    clear_pipeline_environment(monkeypatch)
    monkeypatch.chdir(tmp_path)
    code = main(["run", "--through", "2025-01", "--landing", "landing", "--warehouse", "w.duckdb", "--ledger", "l.duckdb"])
    assert code == 1
    with duckdb.connect(str(tmp_path / "l.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from invoice_lines").fetchone() == (0,)
        assert con.execute("select count(*) from closes").fetchone() == (0,)
    return capsys.readouterr().err


def test_account_errors_stop_the_close_before_anything_is_emitted_naming_each_check(tmp_path, monkeypatch, capsys):
    landing = tmp_path / "landing"
    write_scenario(landing)
    partners = [p[:] for p in PARTNERS]
    partners[1][3] = "yes"  # bad boolean
    partners[2][6] = "Diamond"  # unknown tier floor
    write_csv(landing / "accounts/partners.csv", PARTNER_HEADER, partners)
    write_csv(landing / "accounts/assignments.csv", ["tenant_id", "partner_id", "valid_from", "valid_to"],
              ASSIGNMENTS + [["ta1", "PC", "2025-01-10", ""], ["tx", "PZ", "2025-01-01", ""]])

    message = _close_january(tmp_path, monkeypatch, capsys)

    for check in ("stg_landing__partners_bills_via_parent_text_is_accepted", "assert_tier_floors_name_a_tier",
                  "assert_tenant_assignments_do_not_overlap",
                  "stg_landing__assignments_partner_id_is_known", "stg_landing__assignments_tenant_id_is_known"):
        assert check in message


def _scenario_with_unpriced_usage(landing, day: str) -> None:
    """The scenario plus a GBP tenant, which has no list price, with usage on `day`."""
    write_scenario(landing)
    write_csv(landing / "accounts/tenants.csv", ["tenant_id", "name", "currency", "external_ref"],
              TENANTS + [["tg", "Pound Tenant", "gbp", ""]])
    write_csv(landing / f"usage/{day}/gbp.csv", USAGE_HEADER, [["g1", "tg", "api_calls", "5", f"{day}T00:00Z"]])


def test_usage_without_a_list_price_in_its_currency_stops_the_close(tmp_path, monkeypatch, capsys):
    _scenario_with_unpriced_usage(tmp_path / "landing", "2025-01-06")

    message = _close_january(tmp_path, monkeypatch, capsys)

    assert "assert_usage_has_a_list_price" in message


def test_a_close_that_fails_later_in_a_replay_still_publishes_the_months_closed_before_it(tmp_path, monkeypatch, capsys):
    _scenario_with_unpriced_usage(tmp_path / "landing", "2025-02-06")
    clear_pipeline_environment(monkeypatch)
    monkeypatch.chdir(tmp_path)

    code = main(["run", "--through", "2025-02", "--landing", "landing", "--warehouse", "w.duckdb",
                 "--ledger", "l.duckdb", "--exports", "exports"])

    assert code == 1
    assert "close_emit_job" in capsys.readouterr().err
    with duckdb.connect(str(tmp_path / "l.duckdb"), read_only=True) as con:
        assert con.execute("select close_month from closes").fetchall() == [(date(2025, 1, 1),)]
        january = con.execute("select line_key, amount_minor from invoice_lines order by 1").fetchall()
        sent = con.execute("""select json_extract_string(params, '$.metadata.line_key'), json_extract(params, '$.amount')::bigint
                              from stripe_outbox where path = '/v1/invoiceitems' order by 1""").fetchall()
    assert len(january) == 16 and sent == january
    assert sorted(p.relative_to(tmp_path / "exports").as_posix() for p in (tmp_path / "exports").rglob("*.csv")) == \
        ["2025-01/PA.csv", "2025-01/PC.csv", "2025-01/PD.csv", "2025-01/PE.csv"]


@pytest.mark.parametrize(
    ("closed", "month", "already"),
    [([], date(2025, 3, 1), False), ([date(2025, 1, 1)], date(2025, 2, 1), False),
     ([date(2025, 1, 1), date(2025, 2, 1)], date(2025, 2, 1), True)],
)
def test_a_month_closes_after_the_last_closed_month_or_is_already_closed(closed, month, already):
    assert check_close_order(closed, month) is already


@pytest.mark.parametrize(
    ("closed", "month", "reason"),
    [([date(2025, 1, 1), date(2025, 2, 1)], date(2024, 12, 1), "before the latest closed month"),
     ([date(2025, 1, 1)], date(2025, 3, 1), "close 2025-02 before 2025-03")],
)
def test_a_month_is_never_closed_out_of_order(closed, month, reason):
    with pytest.raises(CloseRefused, match=reason):
        check_close_order(closed, month)


def test_a_blocked_close_shows_on_the_close_asset_what_stopped_it_with_the_offending_rows(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    write_scenario(landing)
    partners = [p[:] for p in PARTNERS]
    partners[2][6] = "Diamond"  # unknown tier floor
    write_csv(landing / "accounts/partners.csv", PARTNER_HEADER, partners)
    clear_pipeline_environment(monkeypatch)
    (tmp_path / "dagster_home").mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", tmp_path / "dagster_home" / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--through", "2025-01", "--landing", "landing", "--warehouse", "w.duckdb",
                 "--ledger", "l.duckdb"]) == 1

    instance = dg.DagsterInstance.from_config(str(tmp_path / "dagster_home"))
    [record] = instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(["close", "monthly_close"]), asset_partitions=["2025-01-01"]),
        limit=1).records
    text = record.asset_observation.metadata["blocked_by"].value
    assert text.splitlines()[0] == "The close was stopped by 1 blocking check(s)."
    assert "**assert_tier_floors_name_a_tier** on staging/stg_landing__partners" in text
    assert "A returned row is a partner whose tier_floor is not a tier of the programme" in text
    assert "Diamond" in text and partners[2][0] in text
