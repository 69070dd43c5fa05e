"""Errors in pricing and billing files block the close before anything is emitted (SPEC §2, §5.7),
each named by its check with the file, the data row and the problem."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.cli import main
from tests.conftest import clear_pipeline_environment
from tests.landing import USAGE_HEADER, write_accounts, write_csv

PROMOTION_HEADER = ["promotion_id", "billing_account_type", "billing_account_id", "metric", "percent_off",
                    "valid_from", "valid_to"]
COMMITMENT_HEADER = ["commitment_id", "billing_account_type", "billing_account_id", "currency", "monthly_minimum",
                     "valid_from", "valid_to"]
MARKUP_HEADER = ["partner_id", "metric", "markup_pct", "effective_from"]
CREDIT_NOTE_HEADER = ["credit_note_id", "line_key", "amount", "reason", "issued_on", "memo"]
GOOD_CREDIT_NOTE = ["cn-1", "tenant:t2:2025-01:usage:api_calls:", "0.05", "duplicate", "2025-01-20", ""]
GOOD_PROMOTION = ["promo-1", "partner", "p1", "", "10", "2025-01", ""]
GOOD_COMMITMENT = ["cm-1", "partner", "p1", "EUR", "100.00", "2025-01", "2025-04"]
PURCHASE_HEADER = ["purchase_id", "billing_account_type", "billing_account_id", "package", "quantity", "purchased_on"]
TRANSFER_HEADER = ["transfer_id", "from_partner_id", "to_partner_id", "currency", "amount", "transferred_on"]
TOP_UP_HEADER = ["rule_id", "billing_account_type", "billing_account_id", "package", "quantity", "threshold"]
GOOD_PURCHASE = ["buy-1", "partner", "p1", "credits_1k_eur", "1", "2025-01-02"]
TWO_ROOT_PARTNERS = (["p1", "Partner One", "", "false", "eur", "", "", ""],
                     ["p2", "Partner Two", "", "false", "eur", "", "", ""])

# Each case: the file, its rows, the check that blocks, the problem it names (file, row 1-based, text), and
# the partners when the case needs others than write_accounts' default.
CASES = {
    "a repeated promotion id": (
        "billing/promotions.csv", PROMOTION_HEADER, [GOOD_PROMOTION, GOOD_PROMOTION],
        "assert_billing_rows_are_valid", "source_row=2, id=promo-1, problem=promotion_id repeats row 1"),
    "an unknown account": (
        "billing/commitments.csv", COMMITMENT_HEADER, [["cm-1", "partner", "p9", "EUR", "100", "2025-01", "2025-04"]],
        "assert_billing_rows_are_valid", "source_row=1, id=cm-1, problem=unknown partner p9"),
    "an unknown currency": (
        "billing/commitments.csv", COMMITMENT_HEADER, [["cm-1", "partner", "p1", "XYZ", "100", "2025-01", "2025-04"]],
        "assert_billing_rows_are_valid", "problem=unknown currency xyz"),
    "a currency other than the account's": (
        "billing/commitments.csv", COMMITMENT_HEADER, [["cm-1", "partner", "p1", "usd", "100", "2025-01", "2025-04"]],
        "assert_billing_rows_are_valid", "problem=currency USD is not the account's currency EUR"),
    "an account that is not a billing owner in a month the row applies to": (
        "billing/commitments.csv", COMMITMENT_HEADER, [["cm-1", "tenant", "t1", "eur", "100", "2025-01", "2025-04"]],
        "assert_billing_rows_are_valid", "problem=t1 is not a tenant billing owner in 2025-01"),
    "a value out of range": (
        "billing/promotions.csv", PROMOTION_HEADER, [["promo-1", "tenant", "", "", "150", "2025-01", ""]],
        "assert_billing_rows_are_valid", "problem=percent_off must be above 0 and at most 100"),
    "an amount not exact in minor digits": (
        "billing/commitments.csv", COMMITMENT_HEADER, [["cm-1", "partner", "p1", "EUR", "12.345", "2025-01", "2025-04"]],
        "assert_billing_rows_are_valid", "problem=monthly_minimum 12.345 is not exact in EUR's 2 minor digits"),
    "overlapping commitments of one account": (
        "billing/commitments.csv", COMMITMENT_HEADER,
        [GOOD_COMMITMENT, ["cm-2", "partner", "p1", "EUR", "50", "2025-03", "2025-06"]],
        "assert_billing_rows_are_valid", "source_row=2, id=cm-2, problem=overlaps commitment cm-1 (row 1)"),
    "a month that is not YYYY-MM": (
        "billing/promotions.csv", PROMOTION_HEADER, [["promo-1", "partner", "p1", "", "10", "2025-1", ""]],
        "assert_billing_rows_are_valid", "problem=valid_from is not a YYYY-MM month"),
    "an id off the id pattern": (
        "billing/promotions.csv", PROMOTION_HEADER, [["promo 1!", "partner", "p1", "", "10", "2025-01", ""]],
        "assert_account_ids_match_the_id_pattern", "column_name=promotion_id, value=promo 1!"),
    "a repeated credit note id": (
        "billing/credit_notes.csv", CREDIT_NOTE_HEADER, [GOOD_CREDIT_NOTE, GOOD_CREDIT_NOTE],
        "assert_billing_rows_are_valid", "source_row=2, id=cn-1, problem=credit_note_id repeats row 1"),
    "a credit note issued on no date": (
        "billing/credit_notes.csv", CREDIT_NOTE_HEADER, [["cn-1", "tenant:t2:2025-01:usage:api_calls:", "1", "duplicate",
                                                          "1 Feb", ""]],
        "assert_billing_rows_are_valid", "source_row=1, id=cn-1, problem=issued_on 1 Feb is not a date"),
    "a markup for an unknown metric": (
        "pricing/partner_markups.csv", MARKUP_HEADER, [["p1", "apples", "20", "2024-01-01"]],
        "assert_pricing_rows_are_valid", "source_row=1, partner_id=p1, problem=unknown metric apples"),
    "a negative markup": (
        "pricing/partner_markups.csv", MARKUP_HEADER, [["p1", "", "-5", "2024-01-01"]],
        "assert_pricing_rows_are_valid", "problem=markup_pct is not a plain decimal >= 0 with at most 6 decimals"),
    "a credit purchase of an unknown package": (
        "billing/credit_purchases.csv", PURCHASE_HEADER, [["buy-1", "partner", "p1", "credits_2k_eur", "1", "2025-01-02"]],
        "assert_billing_rows_are_valid", "source_row=1, id=buy-1, problem=unknown package credits_2k_eur"),
    "a credit package in another currency than the buyer's": (
        "billing/credit_purchases.csv", PURCHASE_HEADER, [["buy-1", "partner", "p1", "credits_1k_usd", "1", "2025-01-02"]],
        "assert_billing_rows_are_valid", "problem=package credits_1k_usd is in USD, not the account's currency EUR"),
    "a credit purchase of no whole quantity": (
        "billing/credit_purchases.csv", PURCHASE_HEADER, [["buy-1", "partner", "p1", "credits_1k_eur", "1.5", "2025-01-02"]],
        "assert_billing_rows_are_valid", "problem=quantity must be a whole number >= 1"),
    "a repeated credit purchase id": (
        "billing/credit_purchases.csv", PURCHASE_HEADER, [GOOD_PURCHASE, GOOD_PURCHASE],
        "assert_billing_rows_are_valid", "source_row=2, id=buy-1, problem=purchase_id repeats row 1"),
    "a credit transfer between two partner hierarchies": (
        "billing/credit_transfers.csv", TRANSFER_HEADER, [["tr-1", "p1", "p2", "eur", "10", "2025-01-03"]],
        "assert_billing_rows_are_valid", "source_row=1, id=tr-1, problem=p1 and p2 are not in one partner hierarchy",
        TWO_ROOT_PARTNERS),
    "a credit transfer not exact in minor digits": (
        "billing/credit_transfers.csv", TRANSFER_HEADER, [["tr-1", "p1", "p2", "eur", "0.005", "2025-01-03"]],
        "assert_billing_rows_are_valid", "problem=amount 0.005 is not exact in EUR's 2 minor digits",
        (TWO_ROOT_PARTNERS[0], ["p2", "Partner Two", "p1", "false", "eur", "", "", ""])),
    "a top-up rule with a negative threshold": (
        "billing/credit_top_ups.csv", TOP_UP_HEADER, [["rule-1", "partner", "p1", "credits_1k_eur", "1", "-5"]],
        "assert_billing_rows_are_valid", "source_row=1, id=rule-1, problem=threshold must be a plain decimal >= 0"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_billing_file_error_blocks_the_close_naming_the_file_row_and_problem(case, tmp_path, monkeypatch, capsys):
    path, header, rows, check, problem, *partners = CASES[case]
    landing = tmp_path / "landing"
    if partners:
        write_accounts(landing, partners=partners[0])
    else:
        write_accounts(landing)
    write_csv(landing / "usage/2025-01-05/u.csv", USAGE_HEADER,
              [["e1", "t1", "api_calls", "100", "2025-01-05T10:00:00Z"],
               ["e2", "t2", "api_calls", "100", "2025-01-05T10:00:00Z"]])
    write_csv(landing / path, header, rows)
    clear_pipeline_environment(monkeypatch)
    monkeypatch.chdir(tmp_path)

    code = main(["run", "--through", "2025-01", "--landing", "landing", "--warehouse", "w.duckdb",
                 "--ledger", "l.duckdb"])

    message = capsys.readouterr().err
    assert code == 1
    assert f"blocking check {check} on " in message
    assert f"file={path}" in message
    assert problem in message
    with duckdb.connect(str(tmp_path / "l.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from invoice_lines").fetchone() == (0,)
        assert con.execute("select count(*) from closes").fetchone() == (0,)
