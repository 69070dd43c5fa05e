"""How amounts and quantities are written in every file a partner reads (SPEC §6)."""

from __future__ import annotations

from decimal import Decimal


def plain_decimal(value: Decimal | None) -> str:
    """A decimal as plain digits without trailing zeros: 8.4000 -> 8.4, 550.000000 -> 550; empty for none."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def minor_units(amount_minor: int | None, exponent: int) -> str:
    """An amount in minor units with exactly the currency's minor digits: 462000, 2 -> 4620.00; empty for none."""
    if amount_minor is None:
        return ""
    return format(Decimal(amount_minor).scaleb(-exponent), f".{exponent}f")
