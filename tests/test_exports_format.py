from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exports import statements
from exports.formatting import minor_units, plain_decimal
from exports.statements import UnsafeExportPath, export_path, safe_text


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("8.4000000000000000"), "8.4"), (Decimal("550.000000"), "550"), (Decimal("0E-16"), "0"),
    (Decimal("1.645161"), "1.645161"), (Decimal("-450.000000"), "-450"), (Decimal("1E+3"), "1000"),
    (Decimal("0.0000005"), "0.0000005"),
])
def test_quantities_and_prices_are_plain_decimals_without_trailing_zeros(value, text):
    assert plain_decimal(value) == text


@given(st.decimals(min_value=-10**12, max_value=10**12, places=16, allow_nan=False, allow_infinity=False))
def test_a_plain_decimal_reads_back_as_the_same_number(value):
    text = plain_decimal(value)
    assert "e" not in text.lower() and Decimal(text) == value
    assert "." not in text or not text.endswith("0")


@pytest.mark.parametrize(("minor", "exponent", "text"), [
    (462000, 2, "4620.00"), (5, 2, "0.05"), (-52, 2, "-0.52"), (235, 0, "235"), (0, 2, "0.00"), (-1, 3, "-0.001"),
])
def test_amounts_have_exactly_the_currencys_minor_digits(minor, exponent, text):
    assert minor_units(minor, exponent) == text


@given(st.integers(min_value=-10**15, max_value=10**15), st.sampled_from([0, 2, 3]))
def test_minor_units_round_trip_exactly(minor, exponent):
    text = minor_units(minor, exponent)
    assert Decimal(text) * (10 ** exponent) == minor
    assert len(text.split(".")[1]) == exponent if exponent else "." not in text


@pytest.mark.parametrize("value", ["=1+1", "+31 555", "-x", "@SUM(A1)", "\tTab", "\rCR"])
def test_formula_like_text_gets_a_leading_quote(value):
    assert safe_text(value) == "'" + value


def test_ordinary_text_is_left_alone():
    assert safe_text("Åsa & Søn, \"Kontor\"") == "Åsa & Søn, \"Kontor\"" and safe_text(None) == ""


@pytest.mark.parametrize("account", ["../evil", "a/b", "..", ".hidden", "a b", "x" * 65, ""])
def test_a_file_name_can_never_leave_the_export_folder(tmp_path, account):
    with pytest.raises(UnsafeExportPath):
        export_path(tmp_path, date(2025, 1, 1), account)


def test_a_statement_goes_to_its_month_folder(tmp_path):
    assert export_path(tmp_path, date(2025, 3, 1), "P001") == (tmp_path / "2025-03" / "P001.csv").resolve()


def test_an_interrupted_write_leaves_neither_a_partial_file_nor_a_temporary_one(tmp_path, monkeypatch):
    target = tmp_path / "2025-01" / "P1.csv"
    target.parent.mkdir()
    target.write_bytes(b"previous\r\n")

    def crash(handle):
        handle.write(b"period,billing_acc")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        statements._write_atomically(target, crash)
    assert target.read_bytes() == b"previous\r\n"
    assert [p.name for p in target.parent.iterdir()] == ["P1.csv"]
