"""Prepaid credit as of the last close, read from the analysts' file (SPEC §7).

The analytics file is replaced by a rename after each run, so reading it never
blocks a run and never sees a half-published state. The figures are the
marts' (fct_credit_balances, fct_credit_blocks); here they are only laid out
in major units with the upper-case currency code.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import duckdb


class Balance(NamedTuple):
    billing_account_type: str
    billing_account_id: str
    close_month: str
    currency: str
    exponent: int
    opening_minor: int
    purchased_minor: int
    transferred_in_minor: int
    transferred_out_minor: int
    drawn_minor: int
    expired_minor: int
    closing_minor: int


class Block(NamedTuple):
    block_id: str
    billing_account_type: str
    billing_account_id: str
    currency: str
    exponent: int
    effective_on: str
    expires_on: str | None
    amount_minor: int
    balance_minor: int


BALANCE_HEADER = ("account", "currency", "opening", "purchased", "transferred in", "transferred out", "drawn",
                  "expired", "closing")
BLOCK_HEADER = ("block", "account", "currency", "effective on", "expires on", "amount", "balance")


def _major(minor: int, exponent: int) -> str:
    return f"{Decimal(minor).scaleb(-exponent):,.{exponent}f}"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in (header, *rows)]


def credit_report(analytics_path: Path, billing_account: str | None = None) -> str:
    """Balances at the last close and every block with a balance or of the named account, as text."""
    if not analytics_path.exists():
        return f"no analytics file at {analytics_path}: nothing has been closed yet"
    account = "" if billing_account is None else "and billing_account_id = $account"
    params = {} if billing_account is None else {"account": billing_account}
    with duckdb.connect(str(analytics_path), read_only=True) as con:
        last = con.execute("select max(close_month) from marts.fct_credit_balances").fetchone()[0]
        if last is None:
            return "no prepaid credit has been recorded at any close"
        balances = [Balance(*row) for row in con.execute(f"""
            select billing_account_type, billing_account_id, strftime(close_month, '%Y-%m'), currency,
                   minor_unit_exponent, opening_minor, purchased_minor, transferred_in_minor,
                   transferred_out_minor, drawn_minor, expired_minor, closing_minor
            from marts.fct_credit_balances where close_month = $last {account}
            order by billing_account_type, billing_account_id""", {"last": last, **params}).fetchall()]
        blocks = [Block(*row) for row in con.execute(f"""
            select block_id, billing_account_type, billing_account_id, currency, minor_unit_exponent,
                   strftime(effective_on, '%Y-%m-%d'), strftime(expires_on, '%Y-%m-%d'), amount_minor, balance_minor
            from marts.fct_credit_blocks where (balance_minor > 0 or $all_blocks) {account}
            order by billing_account_type, billing_account_id, expires_on nulls last, effective_on, block_id""",
            {"all_blocks": billing_account is not None, **params}).fetchall()]
    if billing_account is not None and not balances and not blocks:
        return f"no prepaid credit for billing account {billing_account} as of the {last:%Y-%m} close"
    lines = [f"Prepaid credit as of the {last:%Y-%m} close (amounts in major units)", ""]
    lines += _table(BALANCE_HEADER, [
        (f"{b.billing_account_type} {b.billing_account_id}", b.currency.upper(),
         *(_major(m, b.exponent) for m in (b.opening_minor, b.purchased_minor, b.transferred_in_minor,
                                            b.transferred_out_minor, b.drawn_minor, b.expired_minor,
                                            b.closing_minor)))
        for b in balances])
    lines += ["", "Blocks, in drawdown order (earliest expiry first)" if billing_account is not None
              else "Blocks with a balance, in drawdown order (earliest expiry first)", ""]
    lines += _table(BLOCK_HEADER, [
        (k.block_id, f"{k.billing_account_type} {k.billing_account_id}", k.currency.upper(), k.effective_on,
         k.expires_on or "never", _major(k.amount_minor, k.exponent), _major(k.balance_minor, k.exponent))
        for k in blocks])
    return "\n".join(lines)
