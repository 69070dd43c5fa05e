"""The prepaid credit scenario of tests/credit_scenario.py, end to end through
`partner-billing run` (Dagster jobs, real dbt, real DuckDB files)."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.cli import main
from tests.conftest import clear_pipeline_environment
from tests.credit_scenario import land_late_purchase, write_credit_scenario


@pytest.fixture(scope="module")
def credited(tmp_path_factory):
    root = tmp_path_factory.mktemp("credit_scenario")
    write_credit_scenario(root / "landing")
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        mp.chdir(root)
        files = ["--landing", "landing", "--warehouse", "w.duckdb", "--ledger", "l.duckdb",
                 "--analytics", "a.duckdb", "--exports", "exports"]
        assert main(["run", "--through", "2025-01", *files]) == 0
        land_late_purchase(root / "landing")
        assert main(["run", "--through", "2025-02", *files]) == 0
        yield root, files


def _query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _credit_lines(root, period):
    return _query(root / "l.duckdb", f"""
        select billing_account_id, line_key, line_type, reference, amount_minor from invoice_lines
        where invoice_period = '{period}' and line_type in ('credit', 'credit_purchase') order by line_key""")


def test_january_charges_each_purchase_at_its_price_and_draws_blocks_in_expiry_order(credited):
    root, _ = credited
    assert _credit_lines(root, "2025-01-01") == [
        ("PM", "partner:PM:2025-01:credit:p-old:", "credit", "p-old", -102000),
        ("PM", "partner:PM:2025-01:credit_purchase:p-bulk:", "credit_purchase", "p-bulk", 950000),
        ("PM", "partner:PM:2025-01:credit_purchase:p-old:", "credit_purchase", "p-old", 500000),
        ("PS", "partner:PS:2025-01:credit:p-ps:", "credit", "p-ps", -56000),
        ("PS", "partner:PS:2025-01:credit:t-down/p-old:", "credit", "t-down/p-old", -250000),
        ("PS", "partner:PS:2025-01:credit_purchase:p-ps:", "credit_purchase", "p-ps", 100000),
        ("tdx", "tenant:tdx:2025-01:credit:p-td:", "credit", "p-td", -12000),
        ("tdx", "tenant:tdx:2025-01:credit_purchase:p-td:", "credit_purchase", "p-td", 100000),
    ]


def test_january_invoices_show_subtotal_credits_and_purchases(credited):
    root, _ = credited
    assert _query(root / "a.duckdb", """
        select billing_account_id, subtotal_minor, credits_minor, purchases_minor, total_minor
        from marts.fct_invoices where invoice_period = '2025-01-01' order by 1""") == [
        ("PM", 102000, -102000, 1450000, 1450000),
        ("PS", 306000, -306000, 100000, 100000),
        ("tdx", 12000, -12000, 100000, 100000),
    ]


def test_the_ledger_records_every_entry_in_the_order_of_the_close_steps(credited):
    root, _ = credited
    assert _query(root / "l.duckdb", """
        select entry_id, billing_account_id, block_id, entry_type, amount_minor, entry_date::varchar
        from credit_entries where close_month = '2025-01-01' order by position""") == [
        ("2025-01-0000001", "PM", "p-old", "purchase", 500000, "2024-03-01"),
        ("2025-01-0000002", "tdx", "p-td", "purchase", 100000, "2025-01-03"),
        ("2025-01-0000003", "PM", "p-bulk", "purchase", 1000000, "2025-01-10"),
        ("2025-01-0000004", "PS", "p-ps", "purchase", 100000, "2025-01-12"),
        ("2025-01-0000005", "PM", "p-old", "transfer_out", -250000, "2025-01-15"),
        ("2025-01-0000006", "PS", "t-down/p-old", "transfer_in", 250000, "2025-01-15"),
        ("2025-01-0000007", "PM", "p-old", "drawdown", -102000, "2025-01-31"),
        ("2025-01-0000008", "PS", "p-ps", "drawdown", -56000, "2025-01-31"),
        ("2025-01-0000009", "tdx", "p-td", "drawdown", -12000, "2025-01-31"),
        ("2025-01-0000010", "PS", "t-down/p-old", "drawdown", -250000, "2025-01-31"),
    ]


def test_a_top_up_decided_in_january_is_charged_in_february_once(credited):
    root, _ = credited
    assert _query(root / "l.duckdb", """
        select purchase_id, close_month::varchar, purchased_on::varchar, balance_minor, threshold_minor
        from credit_top_ups""") == [("r-ps/2025-02", "2025-01-01", "2025-02-01", 44000, 50000)]
    assert _query(root / "l.duckdb", """
        select purchase_id, close_month::varchar, origin, credit_minor, price_minor from credit_purchases
        where billing_account_id = 'PS' order by purchase_id""") == [
        ("p-late", "2025-02-01", "file", 200000, 200000),
        ("p-ps", "2025-01-01", "file", 100000, 100000),
        ("r-ps/2025-02", "2025-02-01", "top_up", 100000, 100000),
    ]


def test_february_moves_credit_back_up_refuses_a_transfer_above_the_balance_and_expires_the_rest(credited):
    root, _ = credited
    assert _query(root / "l.duckdb", """
        select transfer_id, close_month::varchar, outcome, reject_reason, amount_minor from credit_transfers
        order by transfer_id""") == [
        ("t-big", "2025-02-01", "rejected", "insufficient_balance", 500000),
        ("t-down", "2025-01-01", "applied", None, 250000),
        ("t-up", "2025-02-01", "applied", None, 30000),
    ]
    assert _query(root / "l.duckdb", """
        select billing_account_id, block_id, entry_type, amount_minor, entry_date::varchar from credit_entries
        where close_month = '2025-02-01' order by position""") == [
        ("PS", "p-late", "purchase", 200000, "2025-01-20"),
        ("PS", "r-ps/2025-02", "purchase", 100000, "2025-02-01"),
        ("PS", "p-ps", "transfer_out", -30000, "2025-02-10"),
        ("PM", "t-up/p-ps", "transfer_in", 30000, "2025-02-10"),
        ("PM", "p-old", "drawdown", -51000, "2025-02-28"),
        ("PM", "p-old", "expiry", -97000, "2025-02-28"),
    ]
    assert _credit_lines(root, "2025-02-01") == [
        ("PM", "partner:PM:2025-02:credit:p-old:", "credit", "p-old", -51000),
        ("PS", "partner:PS:2025-02:credit_purchase:p-late:", "credit_purchase", "p-late", 200000),
        ("PS", "partner:PS:2025-02:credit_purchase:r-ps/2025-02:", "credit_purchase", "r-ps/2025-02", 100000),
    ]


def test_an_invoice_that_owes_nothing_draws_no_credit(credited):
    root, _ = credited
    assert _query(root / "a.duckdb", """
        select billing_account_id, subtotal_minor, credits_minor, purchases_minor, total_minor
        from marts.fct_invoices where invoice_period = '2025-02-01' order by 1""") == [
        ("PM", 51000, -51000, 0, 0),
        ("PS", 0, 0, 300000, 300000),
        ("tdx", -12000, 0, 0, -12000),
    ]


def test_balances_roll_forward_and_blocks_hold_what_is_left(credited):
    root, _ = credited
    assert _query(root / "a.duckdb", """
        select billing_account_id, close_month::varchar, opening_minor, purchased_minor, transferred_in_minor,
               transferred_out_minor, drawn_minor, expired_minor, closing_minor
        from marts.fct_credit_balances order by 1, 2""") == [
        ("PM", "2025-01-01", 0, 1500000, 0, 250000, 102000, 0, 1148000),
        ("PM", "2025-02-01", 1148000, 0, 30000, 0, 51000, 97000, 1030000),
        ("PS", "2025-01-01", 0, 100000, 250000, 0, 306000, 0, 44000),
        ("PS", "2025-02-01", 44000, 300000, 0, 30000, 0, 0, 314000),
        ("tdx", "2025-01-01", 0, 100000, 0, 0, 12000, 0, 88000),
        ("tdx", "2025-02-01", 88000, 0, 0, 0, 0, 0, 88000),
    ]
    assert _query(root / "a.duckdb", """
        select block_id, billing_account_id, effective_on::varchar, expires_on::varchar, amount_minor, balance_minor
        from marts.fct_credit_blocks order by block_id""") == [
        ("p-bulk", "PM", "2025-01-10", "2026-01-10", 1000000, 1000000),
        ("p-late", "PS", "2025-01-20", "2026-01-20", 200000, 200000),
        ("p-old", "PM", "2024-03-01", "2025-03-01", 500000, 0),
        ("p-ps", "PS", "2025-01-12", "2026-01-12", 100000, 14000),
        ("p-td", "tdx", "2025-01-03", "2026-01-03", 100000, 88000),
        ("r-ps/2025-02", "PS", "2025-02-01", "2026-02-01", 100000, 100000),
        ("t-down/p-old", "PS", "2025-01-15", "2025-03-01", 250000, 0),
        ("t-up/p-ps", "PM", "2025-02-10", "2026-01-12", 30000, 30000),
    ]


def test_the_credit_ledger_mart_carries_each_accounts_balance_after_every_entry(credited):
    root, _ = credited
    assert _query(root / "a.duckdb", """
        select entry_type, amount_minor, balance_after_minor from marts.fct_credit_ledger
        where billing_account_id = 'PM' order by entry_id""") == [
        ("purchase", 500000, 500000), ("purchase", 1000000, 1500000), ("transfer_out", -250000, 1250000),
        ("drawdown", -102000, 1148000), ("transfer_in", 30000, 1178000), ("drawdown", -51000, 1127000),
        ("expiry", -97000, 1030000),
    ]
    assert _query(root / "a.duckdb", "select kind, id, reason from marts.fct_billing_rejects") == [
        ("transfer", "t-big", "insufficient_balance")]


def test_partner_statements_show_credit_lines_as_account_rows_summing_to_the_invoice(credited):
    root, _ = credited
    text = (root / "exports/2025-01/PM.csv").read_bytes().decode("utf-8")
    rows = [line.split(",") for line in text.strip().split("\r\n")[1:]]
    account_rows = sorted((r[9], r[16], r[20]) for r in rows if r[4] == "")
    assert account_rows == [
        ("credit", "-1020.00", "partner:PM:2025-01:credit:p-old:"),
        ("credit_purchase", "5000.00", "partner:PM:2025-01:credit_purchase:p-old:"),
        ("credit_purchase", "9500.00", "partner:PM:2025-01:credit_purchase:p-bulk:"),
    ]


def test_credit_lines_go_to_stripe_as_items_and_drawn_credit_as_negative_ones(credited):
    root, _ = credited
    items = _query(root / "l.duckdb", """
        select json_extract_string(params, '$.metadata.line_key'), json_extract(params, '$.amount')::bigint,
               json_extract_string(params, '$.description')
        from stripe_outbox where path = '/v1/invoiceitems'
        and json_extract_string(params, '$.metadata.line_key') like 'partner:PM:%:credit%' order by 1""")
    assert items == [
        ("partner:PM:2025-01:credit:p-old:", -102000, "Prepaid credit drawn from block p-old"),
        ("partner:PM:2025-01:credit_purchase:p-bulk:", 950000, "Prepaid credit purchase p-bulk: 1 x credits_10k_eur"),
        ("partner:PM:2025-01:credit_purchase:p-old:", 500000, "Prepaid credit purchase p-old: 5 x credits_1k_eur"),
        ("partner:PM:2025-02:credit:p-old:", -51000, "Prepaid credit drawn from block p-old"),
    ]


def test_the_credits_command_prints_balances_and_blocks_with_expiry_while_a_run_holds_the_files(credited, capsys):
    root, _ = credited
    with duckdb.connect(str(root / "w.duckdb")), duckdb.connect(str(root / "l.duckdb")):
        assert main(["credits", "--analytics", str(root / "a.duckdb"), "--billing-account", "PS"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Prepaid credit as of the 2025-02 close (amounts in major units)"
    assert out[3].split() == ["partner", "PS", "EUR", "440.00", "3,000.00", "0.00", "300.00", "0.00", "0.00",
                              "3,140.00"]
    assert [line.split() for line in out[7:]] == [
        ["block", "account", "currency", "effective", "on", "expires", "on", "amount", "balance"],
        ["t-down/p-old", "partner", "PS", "EUR", "2025-01-15", "2025-03-01", "2,500.00", "0.00"],
        ["p-ps", "partner", "PS", "EUR", "2025-01-12", "2026-01-12", "1,000.00", "140.00"],
        ["p-late", "partner", "PS", "EUR", "2025-01-20", "2026-01-20", "2,000.00", "2,000.00"],
        ["r-ps/2025-02", "partner", "PS", "EUR", "2025-02-01", "2026-02-01", "1,000.00", "1,000.00"],
    ]
    assert main(["credits", "--analytics", str(root / "a.duckdb")]) == 0
    everyone = capsys.readouterr().out
    assert "partner PM" in everyone and "tenant tdx" in everyone and "t-down/p-old" not in everyone


def test_each_partner_statement_sums_to_its_invoice_total_with_credit_rows(credited):
    root, _ = credited
    with duckdb.connect(str(root / "a.duckdb"), read_only=True) as con:
        totals = dict(((p, a), t) for p, a, t in con.execute(
            "select strftime(invoice_period, '%Y-%m'), billing_account_id, total_minor from marts.fct_invoices "
            "where billing_account_type = 'partner'").fetchall())
    for (period, account), total in totals.items():
        text = (root / "exports" / period / f"{account}.csv").read_bytes().decode("utf-8")
        amounts = [line.split(",")[16] for line in text.strip().split("\r\n")[1:]]
        assert sum(int(a.replace(".", "")) for a in amounts) == total, (period, account)


def test_a_rerun_records_no_credit_twice_and_its_summary_lists_the_refused_transfer(credited, capsys):
    root, files = credited
    entries = "select * exclude (recorded_at, run_id) from credit_entries order by entry_id"
    before = _query(root / "l.duckdb", entries)
    with pytest.MonkeyPatch.context() as mp:
        clear_pipeline_environment(mp)
        mp.chdir(root)
        assert main(["run", "--through", "2025-02", *files]) == 0
    summary = capsys.readouterr().out
    assert _query(root / "l.duckdb", entries) == before
    assert _query(root / "l.duckdb", "select count(*) from credit_purchases where purchase_id = 'r-ps/2025-02'") == [(1,)]
    assert "credit transfers: 3 processed, 2 applied, 1 rejected" in summary
    assert "  rejected credit transfer t-big: insufficient_balance (close 2025-02)" in summary


def test_the_partner_pdf_shows_the_balance_the_blocks_with_expiry_and_the_transfers_of_the_month(credited):
    from pypdf import PdfReader

    root, _ = credited
    text = "\n".join(p.extract_text() for p in PdfReader(str(root / "exports/2025-01/PS.pdf")).pages)
    credit = text[text.index("Prepaid credit"):]
    # PS after January's close: 1000.00 bought, 2500.00 in from PM, 3060.00 drawn, 440.00 left in p-ps.
    for expected in ("Purchased 1000.00", "Transferred in 2500.00", "Drawn 3060.00", "Closing 440.00",
                     "p-ps 2025-01-12 2026-01-12 1000.00 440.00", "2025-01-15 t-down/p-old transfer in 2500.00"):
        assert expected in credit, expected
    # t-down/p-old is spent: no longer a block holding credit.
    assert "t-down/p-old 2025-01-15" not in credit
