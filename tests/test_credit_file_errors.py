"""Errors in the credit note and prepaid credit files block the close before anything is emitted
(SPEC §2, §5.7, §5.9), each named by its check with the file, the data row and the problem."""

from __future__ import annotations

import pytest

from tests.file_errors import (
    CREDIT_NOTE_HEADER,
    GOOD_CREDIT_NOTE,
    GOOD_PURCHASE,
    PURCHASE_HEADER,
    TOP_UP_HEADER,
    TRANSFER_HEADER,
    TWO_ROOT_PARTNERS,
    assert_blocks_the_close,
)

# Each case: the file, its rows, the check that blocks, the problem it names (file, row 1-based, text), and
# the partners when the case needs others than write_accounts' default.
CASES = {
    "a repeated credit note id": (
        "billing/credit_notes.csv", CREDIT_NOTE_HEADER, [GOOD_CREDIT_NOTE, GOOD_CREDIT_NOTE],
        "assert_billing_rows_are_valid", "source_row=2, id=cn-1, problem=credit_note_id repeats row 1"),
    "a credit note issued on no date": (
        "billing/credit_notes.csv", CREDIT_NOTE_HEADER, [["cn-1", "tenant:t2:2025-01:usage:api_calls:", "1", "duplicate",
                                                          "1 Feb", ""]],
        "assert_billing_rows_are_valid", "source_row=1, id=cn-1, problem=issued_on 1 Feb is not a date"),
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
def test_a_credit_file_error_blocks_the_close_naming_the_file_row_and_problem(case, tmp_path, monkeypatch, capsys):
    assert_blocks_the_close(CASES[case], tmp_path, monkeypatch, capsys)
