"""A small generated sample, replayed end to end: what holds for any landing zone."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from datetime import date

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.defs.forecast.method import METHOD
from dagster_project.defs.paths import REPO_ROOT
from tests.conftest import clear_pipeline_environment

RUN = ["run", "--through", "2025-08", "--landing", "landing", "--warehouse", "w.duckdb", "--ledger", "l.duckdb",
       "--analytics", "a.duckdb", "--exports", "exports"]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        # A persistent instance, as `dagster dev` and the benchmark use, so its event log can be read.
        (root / "dagster_home").mkdir()
        shutil.copy(REPO_ROOT / "dagster.yaml", root / "dagster_home" / "dagster.yaml")
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        mp.setenv("BILLING_START", "2025-01")
        mp.chdir(root)
        assert main(["sample", "--landing", "landing", "--months", "8", "--tenants", "150", "--partners", "12",
                     "--events-per-tenant-day", "4", "--seed", "3"]) == 0
        assert main(RUN) == 0
        yield root


def test_the_ranged_ingest_run_plans_each_asset_once_for_its_whole_range(replayed):
    instance = dg.DagsterInstance.from_config(str(replayed / "dagster_home"))
    [ingest_run] = instance.get_runs(dg.RunsFilter(job_name="ingest_job"))
    planned = instance.get_records_for_run(
        ingest_run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED).records
    by_asset = Counter(r.event_log_entry.dagster_event.asset_key.to_user_string() for r in planned)
    assert by_asset["raw/usage_events"] == 1
    assert set(by_asset.values()) == {1}
    usage = next(r.event_log_entry.dagster_event.event_specific_data for r in planned
                 if r.event_log_entry.dagster_event.asset_key == dg.AssetKey(["raw", "usage_events"]))
    keys = usage.partitions_subset.get_partition_keys()
    assert (min(keys), max(keys), len(keys)) == ("2025-01-01", "2025-09-01", 244)


def _q(root, db, sql, params=None):
    with duckdb.connect(str(root / db), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def test_every_statement_file_sums_to_its_invoice_total_commitments_credit_notes_and_credits_included(replayed):
    files = sorted((replayed / "exports").rglob("*.csv"))
    assert len(files) > 10
    from decimal import Decimal
    for path in files:
        rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
        period, account = path.parent.name, path.stem
        [(invoice_total,)] = _q(replayed, "a.duckdb", f"""select total_minor from marts.fct_invoices
            where billing_account_id = '{account}' and strftime(invoice_period, '%Y-%m') = '{period}'""")
        total = sum(Decimal(r["wholesale_amount"]) for r in rows)
        assert total * 100 == invoice_total, path
        assert {r["billing_account_id"] for r in rows} == {account}
    account_level = {r["line_type"] for path in files for r in csv.DictReader(path.open(encoding="utf-8", newline=""))
                     if not r["tenant_id"]}
    assert account_level == {"commitment", "commitment_adjustment", "credit_note", "credit", "credit_purchase"}


def test_the_sample_moves_credit_down_and_back_refuses_the_transfer_above_the_balance_and_tops_up(replayed):
    assert _q(replayed, "l.duckdb", """select transfer_id, outcome, coalesce(reject_reason, '') from credit_transfers
        order by transfer_id""") == [("give-P003", "applied", ""), ("give-P003-too-much", "rejected", "insufficient_balance"),
                                     ("return-P001", "applied", "")]
    charged = {p for (p,) in _q(replayed, "l.duckdb", "select purchase_id from credit_purchases")}
    assert {"buy-P001-bulk", "buy-P003", "buy-P001-more"} <= charged
    assert any(p.startswith("top-up-P003/") for p in charged)
    # Every block holds what its entries say, never below zero.
    assert _q(replayed, "l.duckdb", """select count(*) from (select block_id, sum(amount_minor) as balance
        from credit_entries group by block_id) where balance < 0""") == [(0,)]
    assert _q(replayed, "a.duckdb", """select count(*) from marts.fct_credit_blocks b
        join (select block_id, sum(amount_minor) as balance from marts.fct_credit_ledger group by block_id) e
        using (block_id) where b.balance_minor <> e.balance""") == [(0,)]


def test_every_partner_owner_with_lines_in_a_closed_month_has_its_statement_file(replayed):
    owners = {(f"{period:%Y-%m}", account) for period, account in _q(replayed, "l.duckdb", """
        select distinct invoice_period, billing_account_id from invoice_lines where billing_account_type = 'partner'""")}
    files = {(path.parent.name, path.stem) for path in (replayed / "exports").rglob("*.csv")}
    assert len({month for month, _ in owners}) == 8
    assert files == owners


def test_no_direct_tenant_appears_in_a_statement(replayed):
    direct = {r[0] for r in _q(replayed, "l.duckdb", "select billing_account_id from invoice_lines where billing_account_type = 'tenant'")}
    exported = {r["tenant_id"] for p in (replayed / "exports").rglob("*.csv") for r in csv.DictReader(p.open(encoding="utf-8"))}
    moved = {r[0] for r in _q(replayed, "w.duckdb", "select tenant_id from marts.fct_usage_monthly group by 1 having count(distinct billing_account_type) > 1")}
    assert direct and not (direct - moved) & exported


def test_sub_partner_tenants_appear_in_the_owners_file_only_when_billed_via_it(replayed):
    rows = [r for p in (replayed / "exports").rglob("P001.csv") for r in csv.DictReader(p.open(encoding="utf-8"))]
    assert {"P002", "P004"} <= {r["partner_id"] for r in rows}  # billed via P001
    assert "P003" not in {r["partner_id"] for r in rows}  # a sub-partner billed itself
    assert list((replayed / "exports").rglob("P003.csv"))


def test_churn_counts_roll_forward_month_to_month(replayed):
    broken = _q(replayed, "w.duckdb", """
        select c.service_month, c.partner_id from marts.fct_churn_monthly c
        join marts.fct_churn_monthly p on p.scope = c.scope and p.partner_id = c.partner_id
         and p.service_month = c.service_month - interval 1 month
        where c.tenants_at_start <> p.tenants_at_end""")
    assert broken == []
    platform = _q(replayed, "w.duckdb", """select sum(tenants_moved_in), sum(tenants_moved_out), sum(tenants_churned)
                                          from marts.fct_churn_monthly where scope = 'platform'""")[0]
    assert platform[0] == platform[1] == 0 and platform[2] > 0


def test_the_forecast_covers_every_series_for_three_months_with_its_backtest_beside_both_baselines(replayed):
    series = _q(replayed, "w.duckdb", """select count(*) from (select distinct billing_account_type, billing_account_id,
                                          metric, currency from marts.fct_billing_owner_usage_monthly)""")[0][0]
    months = _q(replayed, "w.duckdb", """select forecast_month, count(*), count(quantity_lower), min(method)
                                         from marts.fct_usage_forecast group by 1 order by 1""")
    assert [(str(m), n) for m, n, _, _ in months] == [("2025-09-01", series), ("2025-10-01", series),
                                                      ("2025-11-01", series)]
    assert all(bounded == n for _, n, bounded, _ in months)
    overall = _q(replayed, "w.duckdb", """select method, points, revenue_wape is not null, interval_coverage
                                          from marts.fct_forecast_backtest where level = 'overall' order by method""")
    assert [(m, p) for m, p, _, _ in overall] == [("drift", overall[0][1]), (METHOD, overall[0][1]),
                                                  ("naive_last_value", overall[0][1])]
    assert overall[0][1] > 0 and all(has_wape for _, _, has_wape, _ in overall)
    assert overall[1][3] is not None and overall[0][3] is None
    points = _q(replayed, "w.duckdb", "select count(*), max(forecast_month) from marts.fct_forecast_backtest_points")[0]
    assert points == (overall[0][1], date(2025, 8, 1))
    published = _q(replayed, "a.duckdb", "select count(*) from marts.fct_usage_forecast")[0][0]
    assert published == 3 * series


def _latest_metadata(root, key: list[str], partition: str) -> dict:
    instance = dg.DagsterInstance.from_config(str(root / "dagster_home"))
    [record] = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(key), asset_partitions=[partition]), limit=1).records
    return record.asset_materialization.metadata


def test_the_close_shows_each_months_invoice_totals_per_currency_in_major_units_partner_and_direct(replayed):
    metadata = _latest_metadata(replayed, ["close", "monthly_close"], "2025-08-01")
    shown = {(r.data["currency"], r.data["measure"]): r.data for r in metadata["totals"].value.records}
    for currency, side, total, invoices in _q(replayed, "l.duckdb", """
            select upper(currency), case billing_account_type when 'partner' then 'partner' else 'direct' end,
                   sum(amount_minor), count(distinct billing_account_id)
            from invoice_lines where invoice_period = date '2025-08-01' group by all"""):
        assert shown[(currency, "total")][side] == f"{total / 100:,.2f} {currency}"
        assert shown[(currency, "invoices")][side] == f"{invoices:,}"
    assert metadata["checks_passed_before_emission"].value.splitlines()[0].endswith("blocking checks passed.")


def test_the_close_lists_its_adjustments_with_account_month_metric_amount_and_reason(replayed):
    adjusted = _q(replayed, "l.duckdb", """select invoice_period, count(*) from invoice_lines
        where line_type = 'adjustment' group by 1 order by 2 desc limit 1""")
    if not adjusted:
        pytest.skip("this sample has no adjustments")
    period, count = adjusted[0]
    text = _latest_metadata(replayed, ["close", "monthly_close"], period.isoformat())["adjustments"].value
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| Account")]
    assert len(rows) == min(count, 20)
    assert all(row.split(" | ")[5].strip().startswith(("quantity", "price")) for row in rows)


def test_the_statements_reconcile_visibly_to_the_partner_invoices(replayed):
    text = _latest_metadata(replayed, ["exports", "partner_statements"], "2025-08-01")[
        "statements_beside_partner_invoices"].value
    rows = text.splitlines()[2:]
    assert rows and all(row.split(" | ")[3].strip().startswith("0.00 ") for row in rows)


def test_the_forecast_shows_next_quarter_per_currency_and_the_backtest_beside_the_baselines(replayed):
    metadata = _latest_metadata(replayed, ["marts", "fct_usage_forecast"], "2025-08-01")
    quarter = {row["currency"]: row for row in metadata["next_quarter_revenue_by_currency"].value}
    expected = _q(replayed, "w.duckdb", """select upper(currency), sum(revenue_forecast_minor), sum(revenue_lower_minor),
                                           sum(revenue_upper_minor) from marts.fct_usage_forecast group by 1""")
    assert {c: (r["forecast_minor"], r["lower_minor"], r["upper_minor"]) for c, r in quarter.items()} == {
        c: (f, lo, hi) for c, f, lo, hi in expected}
    assert len(quarter) > 1
    table = metadata["backtest"].value
    for name in (METHOD, "naive_last_value", "drift"):
        assert f"| all series | {name} |" in table
    assert metadata["series"].value == metadata["series_fitted"].value + _q(
        replayed, "w.duckdb", "select count(distinct billing_account_type || billing_account_id || metric) "
                              "from marts.fct_usage_forecast where method <> ?", [METHOD])[0][0]
