"""Errors in pricing and billing files block the close before anything is emitted (SPEC §2, §5.7),
each named by its check with the file, the data row and the problem."""

from __future__ import annotations

import pytest

from tests.file_errors import (
    COMMITMENT_HEADER,
    GOOD_COMMITMENT,
    GOOD_PROMOTION,
    MARKUP_HEADER,
    PROMOTION_HEADER,
    assert_blocks_the_close,
)

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
    "a markup for an unknown metric": (
        "pricing/partner_markups.csv", MARKUP_HEADER, [["p1", "apples", "20", "2024-01-01"]],
        "assert_pricing_rows_are_valid", "source_row=1, partner_id=p1, problem=unknown metric apples"),
    "a negative markup": (
        "pricing/partner_markups.csv", MARKUP_HEADER, [["p1", "", "-5", "2024-01-01"]],
        "assert_pricing_rows_are_valid", "problem=markup_pct is not a plain decimal >= 0 with at most 6 decimals"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_billing_file_error_blocks_the_close_naming_the_file_row_and_problem(case, tmp_path, monkeypatch, capsys):
    assert_blocks_the_close(CASES[case], tmp_path, monkeypatch, capsys)
