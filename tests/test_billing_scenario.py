"""The hand-computed scenario of tests/scenario.py, end to end through
`partner-billing run` (Dagster jobs, real dbt, real DuckDB files)."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal as D

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.defs.paths import REPO_ROOT
from tests.conftest import clear_pipeline_environment
from tests.scenario import write_scenario

JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)


@pytest.fixture(scope="module")
def billed(tmp_path_factory):
    root = tmp_path_factory.mktemp("scenario")
    write_scenario(root / "landing")
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        mp.chdir(root)
        args = ["run", "--through", "2025-02", "--landing", "landing", "--warehouse", "w.duckdb", "--ledger", "l.duckdb",
                "--analytics", "a.duckdb", "--exports", "exports"]
        assert main(args) == 0
        yield root, args


@pytest.fixture
def billed_copy(billed, tmp_path):
    """The billed files copied, for a test that runs again or deletes something: the others keep theirs."""
    root, args = billed
    copy = tmp_path / "billed"
    shutil.copytree(root, copy)
    return copy, args


def _ledger(root, sql):
    with duckdb.connect(str(root / "l.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


PRICING_ACCOUNTS = ("PD", "PE", "tds")


def _lines(root, period, accounts=("PA", "PC", "td1", "tj1", "tm")):
    return _ledger(root, f"""
        select line_key, quantity, unit_price, amount_minor, currency, tier
        from invoice_lines where invoice_period = '{period}' and billing_account_id in {accounts} order by line_key""")


def test_january_lines_are_billed_exactly_as_computed_by_hand(billed):
    root, _ = billed
    assert _lines(root, JAN) == [
        ("partner:PA:2025-01:usage:active_users:", D("550"), D("8.40"), 462000, "eur", "Certified"),
        ("partner:PA:2025-01:usage:api_calls:", D("4346"), D("0.00084"), 365, "eur", "Certified"),
        ("partner:PA:2025-01:usage:compute_minutes:", D("3"), D("0.0245"), 7, "eur", "Certified"),
        ("partner:PA:2025-01:usage:storage_gb:", D("1.645161"), D("0.175"), 29, "eur", "Certified"),
        ("partner:PC:2025-01:usage:active_users:", D("10"), D("9.10"), 9100, "usd", "Certified"),
        ("partner:PC:2025-01:usage:api_calls:", D("3000"), D("0.0005"), 150, "usd", "Certified"),
        ("tenant:td1:2025-01:usage:compute_minutes:", D("12.345"), D("0.26"), 321, "dkk", None),
        ("tenant:tj1:2025-01:usage:api_calls:", D("1234.5"), D("0.19"), 235, "jpy", None),
        ("tenant:tm:2025-01:usage:api_calls:", D("100"), D("0.0012"), 12, "eur", None),
    ]


def test_january_statement_rows_split_each_line_by_largest_remainder(billed):
    root, _ = billed
    rows = _ledger(root, f"""
        select line_key, tenant_id, partner_id, quantity, wholesale_amount_minor, retail_amount_minor,
               margin_amount_minor, retail_unit_price
        from statement_rows where invoice_period = '{JAN}' and billing_account_id in ('PA', 'PC')
        order by line_key, tenant_id""")
    assert rows == [
        ("partner:PA:2025-01:usage:active_users:", "ta1", "PA", D("400"), 336000, 400000, 64000, D("10")),
        ("partner:PA:2025-01:usage:active_users:", "ta2", "PB", D("150"), 126000, 180000, 54000, D("12")),
        ("partner:PA:2025-01:usage:api_calls:", "ta1", "PA", D("3345"), 281, 401, 120, D("0.0012")),
        ("partner:PA:2025-01:usage:api_calls:", "ta2", "PB", D("1001"), 84, 120, 36, D("0.0012")),
        ("partner:PA:2025-01:usage:compute_minutes:", "ta1", "PA", D("1.5"), 4, 5, 1, D("0.035")),
        ("partner:PA:2025-01:usage:compute_minutes:", "ta2", "PB", D("1.5"), 3, 5, 2, D("0.035")),
        ("partner:PA:2025-01:usage:storage_gb:", "ta1", "PA", D("1.645161"), 29, 41, 12, D("0.25")),
        ("partner:PC:2025-01:usage:active_users:", "tc1", "PC", D("10"), 9100, 13000, 3900, D("13")),
        ("partner:PC:2025-01:usage:api_calls:", "tc1", "PC", D("3000"), 150, 390, 240, D("0.0013")),
    ]


def test_late_usage_that_lifts_the_tier_adjusts_january_in_february(billed):
    root, _ = billed
    assert _lines(root, FEB) == [
        ("partner:PA:2025-02:adjustment:active_users:2025-01", D("450"), D("7.20"), 258000, "eur", "Premier"),
        ("partner:PA:2025-02:adjustment:api_calls:2025-01", D("0"), D("0.00072"), -52, "eur", "Premier"),
        ("partner:PA:2025-02:adjustment:compute_minutes:2025-01", D("0"), D("0.021"), -1, "eur", "Premier"),
        ("partner:PA:2025-02:adjustment:storage_gb:2025-01", D("0"), D("0.15"), -4, "eur", "Premier"),
        ("partner:PA:2025-02:credit_note:cn-1:2025-01", D("1"), D("-1.00"), -100, "eur", None),
        ("partner:PA:2025-02:credit_note:cn-2:2025-01", D("1"), D("-2.65"), -265, "eur", None),
        ("partner:PA:2025-02:usage:active_users:", D("10"), D("10.20"), 10200, "eur", "Registered"),
        ("tenant:tj1:2025-02:credit_note:cn-7:2025-01", D("1"), D("-35"), -35, "jpy", None),
    ]
    assert _ledger(root, f"select adjusts_period, description from invoice_lines where line_key like '%adjustment:api_calls%'") == [
        (JAN, "Adjustment for 2025-01: api_calls (call), Premier tier")
    ]


def test_adjustment_statement_rows_carry_each_tenants_difference(billed):
    root, _ = billed
    rows = _ledger(root, f"""
        select line_key, tenant_id, quantity, wholesale_amount_minor, retail_amount_minor, margin_amount_minor
        from statement_rows where invoice_period = '{FEB}' and billing_account_id = 'PA' order by line_key, tenant_id""")
    assert rows == [
        ("partner:PA:2025-02:adjustment:active_users:2025-01", "ta1", D("0"), -48000, 0, 48000),
        ("partner:PA:2025-02:adjustment:active_users:2025-01", "ta2", D("450"), 306000, 540000, 234000),
        ("partner:PA:2025-02:adjustment:api_calls:2025-01", "ta1", D("0"), -40, 0, 40),
        ("partner:PA:2025-02:adjustment:api_calls:2025-01", "ta2", D("0"), -12, 0, 12),
        ("partner:PA:2025-02:adjustment:compute_minutes:2025-01", "ta1", D("0"), -1, 0, 1),
        ("partner:PA:2025-02:adjustment:storage_gb:2025-01", "ta1", D("0"), -4, 0, 4),
        ("partner:PA:2025-02:credit_note:cn-1:2025-01", None, D("1"), -100, None, None),
        ("partner:PA:2025-02:credit_note:cn-2:2025-01", None, D("1"), -265, None, None),
        ("partner:PA:2025-02:usage:active_users:", "ta1", D("10"), 10200, 10000, -200),
    ]


def test_revenue_reconciles_to_the_emitted_lines_and_nothing_is_unbilled(billed):
    root, _ = billed
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        by_month = con.execute("""
            select service_month, billing_account_id, sum(platform_revenue_minor), sum(unbilled_minor)
            from marts.fct_revenue_monthly group by all order by all""").fetchall()
        eur = con.execute("""
            select tenant_id, platform_revenue_minor, platform_revenue_eur_minor, rate_to_reporting
            from marts.fct_revenue_monthly where tenant_id = 'td1'""").fetchall()
    assert by_month == [
        (JAN, "PA", 720000 + 313 + 6 + 25 - 100 - 265, 0), (JAN, "PC", 9250, 0), (JAN, "PD", 9950, 0),
        (JAN, "PE", 12240 + 5920 - 5920 - 920, 0), (JAN, "td1", 321, 0), (JAN, "tds", 13 + 1987, 0),
        (JAN, "tj1", 235 - 35, 0), (JAN, "tm", 12, 0),
        (FEB, "PA", 10200, 0), (FEB, "PD", 2754 + 2246, 0), (FEB, "tds", 2000, 0),
    ]
    (tenant, dkk, eur_cents, rate), = eur
    assert (tenant, dkk) == ("td1", 321)
    assert eur_cents == int((D(321) * rate).quantize(D("1"), rounding="ROUND_HALF_UP"))


def test_the_snapshots_and_closes_are_recorded_per_month(billed):
    root, _ = billed
    assert _ledger(root, "select close_month, invoice_lines, statement_rows from closes order by 1") == [
        (JAN, 16, 14), (FEB, 14, 14),
    ]
    assert _ledger(root, "select close_month, count(*) from partner_snapshots group by 1 order by 1") == [(JAN, 5), (FEB, 5)]


def test_running_again_changes_nothing_and_an_open_analyst_session_does_not_block_it(billed_copy):
    root, args = billed_copy
    before = _ledger(root, "select * from invoice_lines order by line_key")
    analyst = duckdb.connect(str(root / "a.duckdb"), read_only=True)
    try:
        seen = analyst.execute("select count(*) from marts.fct_invoice_lines").fetchall()
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(root)
            assert main(args) == 0
        assert analyst.execute("select count(*) from marts.fct_invoice_lines").fetchall() == seen
    finally:
        analyst.close()
    assert _ledger(root, "select * from invoice_lines order by line_key") == before
    assert _ledger(root, "select count(*) from closes") == [(2,)]


def test_deleting_the_warehouse_rebuilds_the_marts_and_bills_nothing_twice(billed_copy):
    root, args = billed_copy
    before = _ledger(root, "select * from statement_rows order by line_key, tenant_id")
    (root / "w.duckdb").unlink()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        assert main(args) == 0
    assert _ledger(root, "select * from statement_rows order by line_key, tenant_id") == before
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), sum(amount_minor) from marts.fct_invoice_lines").fetchall() == [
            (30, 462000 + 365 + 7 + 29 + 9100 + 150 + 321 + 235 + 12 + 258000 - 52 - 1 - 4 + 10200
             + 9180 + 765 + 5 + 4080 + 5920 + 13 + 1987 + 8160 - 5920 + 2754 + 2246 + 2000
             - 100 - 265 - 35 - 920)
        ]


def test_no_money_or_quantity_column_is_floating_point_anywhere(billed):
    root, _ = billed
    found = []
    for db in ("w.duckdb", "l.duckdb"):
        with duckdb.connect(str(root / db), read_only=True) as con:
            found += con.execute("""
                select table_schema || '.' || table_name || '.' || column_name, data_type
                from information_schema.columns
                where data_type in ('DOUBLE', 'FLOAT', 'REAL')""").fetchall()
    assert found == []


PA_JANUARY = (
    "period,billing_account_id,partner_id,partner_name,tenant_id,tenant_name,tenant_external_ref,metric,unit,"
    "line_type,adjusts_period,quantity,currency,tier,list_unit_price,wholesale_unit_price,wholesale_amount,"
    "retail_unit_price,retail_amount,margin_amount,line_key\r\n"
    "2025-01,PA,PA,Alpha Master,ta1,Tenant A1,A-1,active_users,user,usage,,400,EUR,Certified,12,8.4,3360.00,10,4000.00,640.00,partner:PA:2025-01:usage:active_users:\r\n"
    "2025-01,PA,PB,Beta Sub,ta2,'=cmd|' /C calc'!A0,A-2,active_users,user,usage,,150,EUR,Certified,12,8.4,1260.00,12,1800.00,540.00,partner:PA:2025-01:usage:active_users:\r\n"
    "2025-01,PA,PA,Alpha Master,ta1,Tenant A1,A-1,api_calls,call,usage,,3345,EUR,Certified,0.0012,0.00084,2.81,0.0012,4.01,1.20,partner:PA:2025-01:usage:api_calls:\r\n"
    "2025-01,PA,PB,Beta Sub,ta2,'=cmd|' /C calc'!A0,A-2,api_calls,call,usage,,1001,EUR,Certified,0.0012,0.00084,0.84,0.0012,1.20,0.36,partner:PA:2025-01:usage:api_calls:\r\n"
    "2025-01,PA,PA,Alpha Master,ta1,Tenant A1,A-1,compute_minutes,minute,usage,,1.5,EUR,Certified,0.035,0.0245,0.04,0.035,0.05,0.01,partner:PA:2025-01:usage:compute_minutes:\r\n"
    "2025-01,PA,PB,Beta Sub,ta2,'=cmd|' /C calc'!A0,A-2,compute_minutes,minute,usage,,1.5,EUR,Certified,0.035,0.0245,0.03,0.035,0.05,0.02,partner:PA:2025-01:usage:compute_minutes:\r\n"
    "2025-01,PA,PA,Alpha Master,ta1,Tenant A1,A-1,storage_gb,GB-month,usage,,1.645161,EUR,Certified,0.25,0.175,0.29,0.25,0.41,0.12,partner:PA:2025-01:usage:storage_gb:\r\n"
)


def test_the_partner_statement_is_written_byte_for_byte_as_specified(billed):
    root, _ = billed
    assert (root / "exports/2025-01/PA.csv").read_bytes() == PA_JANUARY.encode("utf-8")


def test_statements_exist_only_for_partner_owners_with_lines_and_sum_to_their_lines(billed):
    root, _ = billed
    files = sorted(p.relative_to(root / "exports").as_posix() for p in (root / "exports").rglob("*.csv"))
    assert files == ["2025-01/PA.csv", "2025-01/PC.csv", "2025-01/PD.csv", "2025-01/PE.csv",
                     "2025-02/PA.csv", "2025-02/PD.csv", "2025-02/PE.csv"]
    import csv
    for path in files:
        rows = list(csv.DictReader((root / "exports" / path).open(encoding="utf-8", newline="")))
        period, account = path[:7], path[8:-4]
        assert {r["billing_account_id"] for r in rows} == {account}
        emitted = _ledger(root, f"""select sum(amount_minor) from invoice_lines
            where billing_account_id = '{account}' and strftime(invoice_period, '%Y-%m') = '{period}'""")[0][0]
        assert sum(D(r["wholesale_amount"]) for r in rows) * 100 == emitted
    february = (root / "exports/2025-02/PA.csv").read_text()
    assert ",adjustment,2025-01,0,EUR,Premier,12,7.2,-480.00,10,0.00,480.00," in february


def test_re_exporting_and_the_export_command_write_identical_bytes(billed, tmp_path):
    root, _ = billed
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        out = tmp_path / "one.csv"
        assert main(["export", "--billing-account", "PA", "--period", "2025-01", "--out", str(out),
                     "--warehouse", "w.duckdb", "--exports", "exports"]) == 0
        assert main(["export", "--billing-account", "PA", "--period", "2025-01",
                     "--warehouse", "w.duckdb", "--exports", "exports"]) == 0
        assert main(["export", "--billing-account", "td1", "--period", "2025-01",
                     "--warehouse", "w.duckdb", "--exports", "exports"]) == 1
    assert out.read_bytes() == PA_JANUARY.encode("utf-8")
    assert (root / "exports/2025-01/PA.csv").read_bytes() == PA_JANUARY.encode("utf-8")


def test_the_analytics_file_holds_the_same_marts_as_the_warehouse(billed):
    root, _ = billed
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as wh, \
            duckdb.connect(str(root / "a.duckdb"), read_only=True) as an:
        tables = [r[0] for r in wh.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        assert "fct_invoice_lines" in tables
        for table in tables:
            assert an.execute(f"select * from marts.{table} order by all").fetchall() == \
                   wh.execute(f"select * from marts.{table} order by all").fetchall(), table


def test_the_default_run_fills_the_stripe_outbox_with_one_item_per_line(billed):
    root, _ = billed
    items = _ledger(root, """select json_extract_string(params, '$.metadata.line_key'), json_extract(params, '$.amount')::bigint
                             from stripe_outbox where path = '/v1/invoiceitems' order by 1""")
    lines = _ledger(root, "select line_key, amount_minor from invoice_lines order by 1")
    assert items == lines
    assert _ledger(root, "select count(*) from stripe_outbox where path = '/v1/invoices'") == [(13,)]


def test_a_live_run_against_stripe_with_random_faults_ends_with_every_line_exactly_once(billed_copy, monkeypatch):
    import random

    from tests.fake_stripe import FakeStripe

    root, args = billed_copy
    fake = FakeStripe().start()
    fake.customers["cus_existingPC"] = {"id": "cus_existingPC", "object": "customer", "metadata": {}}
    rng = random.Random(11)
    fake.inject(*rng.choices(["429", "429_should_retry", "drop_after", "slow", "500_before", "500_after"], k=20))
    monkeypatch.chdir(root)
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_scenario")
    monkeypatch.setenv("STRIPE_API_BASE", fake.url)
    try:
        # No key is left to expire: a line Stripe refused twice is sent by the next run, under a new key.
        attempts = []
        for _ in range(3):
            attempts.append(main([*args, "--stripe", "live"]))
            if attempts[-1] == 0:
                break
        assert attempts[-1] == 0
        sent = sorted((i["metadata"]["line_key"], i["amount"], i["currency"]) for i in fake.items.values())
        assert sent == _ledger(root, "select line_key, amount_minor, currency from invoice_lines order by 1")
        assert main([*args, "--stripe", "live"]) == 0
        assert len(fake.items) == len(sent)
        invoices = sorted((i["metadata"]["billing_account"], i["metadata"]["invoice_period"]) for i in fake.invoices.values())
        assert invoices == [("partner:PA", "2025-01"), ("partner:PA", "2025-02"), ("partner:PC", "2025-01"),
                            ("partner:PD", "2025-01"), ("partner:PD", "2025-02"), ("partner:PE", "2025-01"),
                            ("partner:PE", "2025-02"), ("tenant:td1", "2025-01"), ("tenant:tds", "2025-01"),
                            ("tenant:tds", "2025-02"), ("tenant:tj1", "2025-01"), ("tenant:tj1", "2025-02"),
                            ("tenant:tm", "2025-01")]
    finally:
        fake.stop()


def _priced_lines(root, period):
    return _ledger(root, f"""
        select line_key, line_type, metric, quantity, unit_price, amount_minor, tier, promotion_id, reference
        from invoice_lines where invoice_period = '{period}' and billing_account_id in {PRICING_ACCOUNTS}
        order by line_key""")


def test_january_promotions_lower_the_unit_price_and_a_missed_commitment_is_trued_up(billed):
    root, _ = billed
    assert _priced_lines(root, JAN) == [
        ("partner:PD:2025-01:usage:active_users:", "usage", "active_users", D("10"), D("9.18"), 9180, "Registered",
         "pd-all", None),
        ("partner:PD:2025-01:usage:api_calls:", "usage", "api_calls", D("10000"), D("0.000765"), 765, "Registered",
         "pd-api", None),
        ("partner:PD:2025-01:usage:compute_minutes:", "usage", "compute_minutes", D("2"), D("0.026775"), 5,
         "Registered", "pd-all", None),
        ("partner:PE:2025-01:commitment:cm-pe:", "commitment", None, D("1"), D("59.20"), 5920, None, None, "cm-pe"),
        ("partner:PE:2025-01:usage:active_users:", "usage", "active_users", D("4"), D("10.20"), 4080, "Registered",
         None, None),
        ("tenant:tds:2025-01:commitment:cm-tds:", "commitment", None, D("1"), D("19.87"), 1987, None, None, "cm-tds"),
        ("tenant:tds:2025-01:usage:storage_gb:", "usage", "storage_gb", D("1"), D("0.125"), 13, None,
         "tenants-storage", None),
    ]
    described = dict(_ledger(root, "select line_key, description from invoice_lines where line_key in "
                                   "('partner:PD:2025-01:usage:api_calls:', 'partner:PE:2025-01:commitment:cm-pe:')"))
    assert described == {
        "partner:PD:2025-01:usage:api_calls:":
            "api_calls (call), 2025-01, Registered tier, promotion pd-api (25% off)",
        "partner:PE:2025-01:commitment:cm-pe:": "Minimum commitment cm-pe, 2025-01: true-up to the monthly minimum",
    }


def test_february_bills_a_commitment_without_usage_and_takes_back_a_true_up_late_usage_met(billed):
    root, _ = billed
    assert _priced_lines(root, FEB) == [
        ("partner:PD:2025-02:commitment:cm-pd:", "commitment", None, D("1"), D("22.46"), 2246, None, None, "cm-pd"),
        ("partner:PD:2025-02:usage:active_users:", "usage", "active_users", D("3"), D("9.18"), 2754, "Registered",
         "pd-all", None),
        ("partner:PE:2025-02:adjustment:active_users:2025-01", "adjustment", "active_users", D("8"), D("10.20"), 8160,
         "Registered", None, None),
        ("partner:PE:2025-02:commitment_adjustment:cm-pe:2025-01", "commitment_adjustment", None, D("1"),
         D("-59.20"), -5920, None, None, "cm-pe"),
        ("partner:PE:2025-02:credit_note:cn-8:2025-01", "credit_note", None, D("1"), D("-9.20"), -920, None, None,
         "cn-8"),
        ("tenant:tds:2025-02:commitment:cm-tds:", "commitment", None, D("1"), D("20.00"), 2000, None, None, "cm-tds"),
    ]


def test_every_commitment_month_is_billed_the_larger_of_its_minimum_and_its_usage(billed):
    root, _ = billed
    billed_by_month = _ledger(root, f"""
        select billing_account_id, strftime(coalesce(adjusts_period, invoice_period), '%Y-%m'), sum(amount_minor)
        from invoice_lines where billing_account_id in {PRICING_ACCOUNTS} and line_type <> 'credit_note'
        group by all order by all""")
    assert billed_by_month == [
        ("PD", "2025-01", 9950), ("PD", "2025-02", 5000), ("PE", "2025-01", 12240),
        ("tds", "2025-01", 2000), ("tds", "2025-02", 2000),
    ]


def test_retail_prices_come_from_the_price_else_the_metric_markup_else_the_every_metric_markup(billed):
    root, _ = billed
    rows = _ledger(root, f"""
        select line_key, tenant_id, quantity, wholesale_amount_minor, retail_unit_price, retail_amount_minor,
               margin_amount_minor
        from statement_rows where billing_account_id = 'PD' order by line_key, tenant_id""")
    assert rows == [
        ("partner:PD:2025-01:usage:active_users:", "tpd1", D("10"), 9180, D("11"), 11000, 1820),
        ("partner:PD:2025-01:usage:api_calls:", "tpd1", D("10000"), 765, D("0.00204"), 2040, 1275),
        ("partner:PD:2025-01:usage:compute_minutes:", "tpd1", D("2"), 5, D("0.044625"), 9, 4),
        ("partner:PD:2025-02:commitment:cm-pd:", None, D("1"), 2246, None, None, None),
        ("partner:PD:2025-02:usage:active_users:", "tpd1", D("3"), 2754, D("11"), 3300, 546),
    ]


def test_invoices_add_up_their_lines_and_each_statement_sums_to_its_invoice_total(billed):
    root, _ = billed
    with duckdb.connect(str(root / "w.duckdb"), read_only=True) as con:
        invoices = con.execute(f"""
            select strftime(invoice_period, '%Y-%m'), billing_account_id, lines, subtotal_minor, credits_minor,
                   purchases_minor, total_minor
            from marts.fct_invoices where billing_account_id in {PRICING_ACCOUNTS} order by 1, 2""").fetchall()
    assert invoices == [
        ("2025-01", "PD", 3, 9950, 0, 0, 9950), ("2025-01", "PE", 2, 10000, 0, 0, 10000),
        ("2025-01", "tds", 2, 2000, 0, 0, 2000),
        ("2025-02", "PD", 2, 5000, 0, 0, 5000), ("2025-02", "PE", 3, 2240 - 920, 0, 0, 2240 - 920),
        ("2025-02", "tds", 1, 2000, 0, 0, 2000),
    ]
    february = (root / "exports/2025-02/PE.csv").read_text(encoding="utf-8").splitlines()
    assert february[1:] == [
        "2025-02,PE,PE,Echo Partner,tpe1,Tenant E1,E-1,active_users,user,adjustment,2025-01,8,EUR,Registered,"
        "12,10.2,81.60,12,96.00,14.40,partner:PE:2025-02:adjustment:active_users:2025-01",
        "2025-02,PE,PE,Echo Partner,,,,,,commitment_adjustment,2025-01,1,EUR,,,-59.2,-59.20,,,,"
        "partner:PE:2025-02:commitment_adjustment:cm-pe:2025-01",
        "2025-02,PE,PE,Echo Partner,,,,,,credit_note,2025-01,1,EUR,,,-9.2,-9.20,,,,"
        "partner:PE:2025-02:credit_note:cn-8:2025-01",
    ]


def test_commitment_lines_go_to_stripe_as_items_of_their_service_month_and_negative_when_taken_back(billed):
    root, _ = billed
    items = _ledger(root, """
        select json_extract_string(params, '$.metadata.line_key'), json_extract(params, '$.amount')::bigint,
               json_extract(params, '$.period.start')::bigint, json_extract(params, '$.period.end')::bigint,
               json_extract_string(params, '$.description')
        from stripe_outbox where path = '/v1/invoiceitems'
        and json_extract_string(params, '$.metadata.line_key') similar to '.*:commitment(_adjustment)?:.*' order by 1""")
    jan, feb, mar = 1735689600, 1738368000, 1740787200  # 2025-01-01, 2025-02-01, 2025-03-01 00:00 UTC
    assert items == [
        ("partner:PD:2025-02:commitment:cm-pd:", 2246, feb, mar, "Minimum commitment cm-pd, 2025-02: true-up to the monthly minimum"),
        ("partner:PE:2025-01:commitment:cm-pe:", 5920, jan, feb, "Minimum commitment cm-pe, 2025-01: true-up to the monthly minimum"),
        ("partner:PE:2025-02:commitment_adjustment:cm-pe:2025-01", -5920, jan, feb,
         "Commitment adjustment for 2025-01: minimum commitment cm-pe"),
        ("tenant:tds:2025-01:commitment:cm-tds:", 1987, jan, feb, "Minimum commitment cm-tds, 2025-01: true-up to the monthly minimum"),
        ("tenant:tds:2025-02:commitment:cm-tds:", 2000, feb, mar, "Minimum commitment cm-tds, 2025-02: true-up to the monthly minimum"),
    ]


def test_credit_notes_are_processed_once_in_order_accepted_or_rejected_with_the_first_reason(billed):
    root, _ = billed
    assert _ledger(root, """
        select credit_note_id, strftime(close_month, '%Y-%m'), outcome, reject_reason, amount_minor, credit_line_key
        from credit_notes order by issued_on, credit_note_id""") == [
        ("cn-1", "2025-02", "accepted", None, 100, "partner:PA:2025-02:credit_note:cn-1:2025-01"),
        ("cn-2", "2025-02", "accepted", None, 265, "partner:PA:2025-02:credit_note:cn-2:2025-01"),
        ("cn-3", "2025-02", "rejected", "exceeds_line", None, None),
        ("cn-4", "2025-02", "rejected", "unknown_line", None, None),
        ("cn-5", "2025-02", "rejected", "bad_reason", None, None),
        ("cn-6", "2025-02", "rejected", "bad_amount", None, None),
        ("cn-7", "2025-02", "accepted", None, 35, "tenant:tj1:2025-02:credit_note:cn-7:2025-01"),
        ("cn-8", "2025-02", "accepted", None, 920, "partner:PE:2025-02:credit_note:cn-8:2025-01"),
    ]
    assert _ledger(root, """
        select line_key, metric, credits_line_key, description from invoice_lines where line_type = 'credit_note'
        and billing_account_id = 'tj1'""") == [
        ("tenant:tj1:2025-02:credit_note:cn-7:2025-01", "api_calls", "tenant:tj1:2025-01:usage:api_calls:",
         "Credit note cn-7 (product_unsatisfactory) for tenant:tj1:2025-01:usage:api_calls:"),
    ]
    with duckdb.connect(str(root / "a.duckdb"), read_only=True) as con:
        rejects = con.execute("select kind, id, reason, strftime(close_month, '%Y-%m') from marts.fct_billing_rejects "
                              "order by id").fetchall()
        tj1 = con.execute("select lines, subtotal_minor, total_minor from marts.fct_invoices "
                          "where billing_account_id = 'tj1' and invoice_period = '2025-02-01'").fetchall()
    assert rejects == [("credit_note", "cn-3", "exceeds_line", "2025-02"), ("credit_note", "cn-4", "unknown_line", "2025-02"),
                       ("credit_note", "cn-5", "bad_reason", "2025-02"), ("credit_note", "cn-6", "bad_amount", "2025-02")]
    assert tj1 == [(1, -35, -35)]


def test_a_credit_note_goes_to_stripe_as_a_negative_item_naming_the_note_and_the_credited_line(billed):
    root, _ = billed
    items = _ledger(root, """
        select json_extract(params, '$.amount')::bigint, json_extract_string(params, '$.metadata.credit_note'),
               json_extract_string(params, '$.metadata.credits_line_key'), json_extract(params, '$.period.start')::bigint
        from stripe_outbox where path = '/v1/invoiceitems'
        and json_extract_string(params, '$.metadata.line_key') = 'partner:PA:2025-02:credit_note:cn-2:2025-01'""")
    assert items == [(-265, "cn-2", "partner:PA:2025-01:usage:api_calls:", 1735689600)]


def test_a_later_close_processes_new_notes_once_and_reports_a_processed_note_edited_since(billed_copy, capsys):
    root, args = billed_copy
    notes = (root / "landing/billing/credit_notes.csv").read_text(encoding="utf-8")
    (root / "landing/billing/credit_notes.csv").write_text(notes.replace(",1.00,duplicate,2025-02-10,", ",9.00,duplicate,2025-02-10,"),
                                                           encoding="utf-8")
    before = _ledger(root, "select * from credit_notes order by credit_note_id")
    (root / "dagster_home").mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", root / "dagster_home" / "dagster.yaml")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        assert main([*args[:2], "2025-03", *args[3:]]) == 0
    summary = capsys.readouterr().out
    assert _ledger(root, "select * from credit_notes where close_month < '2025-03-01' order by credit_note_id") == before
    assert _ledger(root, "select credit_note_id, outcome, amount_minor from credit_notes where close_month = '2025-03-01'") == [
        ("cn-9", "accepted", 100)]
    assert "credit notes: 9 processed, 5 accepted, 4 rejected" in summary
    assert "  rejected credit note cn-3: exceeds_line (close 2025-02)" in summary
    check = dg.AssetCheckKey(dg.AssetKey(["staging", "stg_landing__credit_notes"]),
                             "assert_processed_credit_notes_are_unchanged")
    [record] = dg.DagsterInstance.from_config(str(root / "dagster_home")).event_log_storage \
        .get_asset_check_execution_history(check, limit=1)
    evaluation = record.event.dagster_event.event_specific_data
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["first_failing_rows_json"].value == [
        {"credit_note_id": "cn-1", "source_row": "2", "close_month": "2025-02-01"}]
