"""What a finance reviewer reads on the close asset: the close as tables, in money and words.

The figures are sums and rows of the lines the close emitted, as dbt built
them; here they are only laid out, in major units with the upper-case code.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

import dagster as dg

SIDES = ("partner", "tenant")
SIDE_NAMES = {"partner": "Partner", "tenant": "Direct"}
LARGEST_ADJUSTMENTS = 20


class CurrencySide(NamedTuple):
    """One currency and one side (partner or direct tenant invoices) of a close."""

    currency: str
    exponent: int
    billing_account_type: str
    invoices: int
    lines: int
    usage_minor: int
    adjustments_minor: int
    commitments_minor: int  # commitment true-ups and their adjustments
    total_minor: int


class CreditTotals(NamedTuple):
    """One currency's prepaid credit at a close (SPEC §5.9): what was bought, drawn, expired and moved."""

    currency: str
    exponent: int
    purchases_charged_minor: int  # the credit_purchase lines
    purchased_minor: int  # face value of the blocks purchased
    drawn_minor: int
    expired_minor: int
    transferred_minor: int
    transfers_rejected: int


class Adjustment(NamedTuple):
    billing_account_type: str
    billing_account_id: str
    adjusts_period: str  # YYYY-MM
    metric: str
    quantity: Decimal  # the quantity difference
    tier: str | None
    amount_minor: int
    currency: str
    exponent: int


def money(minor: int, exponent: int, currency: str) -> str:
    """`1234567, 2, "eur"` -> `12,345.67 EUR`: minor units shown in major units, exactly."""
    amount = Decimal(minor).scaleb(-exponent)
    return f"{amount:,.{exponent}f} {currency.upper()}"


TOTALS_SCHEMA = dg.TableSchema(columns=[
    dg.TableColumn("currency", "string"), dg.TableColumn("measure", "string"),
    dg.TableColumn("partner", "string"), dg.TableColumn("direct", "string"), dg.TableColumn("all", "string"),
])
MEASURES = (("invoices", "invoices", False), ("lines", "lines", False), ("usage", "usage_minor", True),
            ("adjustments", "adjustments_minor", True), ("commitments", "commitments_minor", True),
            ("total", "total_minor", True))


def totals_table(rows: list[CurrencySide]) -> dg.TableMetadataValue:
    """Per currency: invoices, lines, usage, adjustments, commitments and total, partner and direct side by side."""
    by_currency: dict[str, dict[str, CurrencySide]] = {}
    for row in rows:
        by_currency.setdefault(row.currency, {})[row.billing_account_type] = row
    records = []
    for currency in sorted(by_currency):
        sides = by_currency[currency]
        exponent = next(iter(sides.values())).exponent
        for measure, field, as_money in MEASURES:
            values = [getattr(sides[s], field) if s in sides else 0 for s in SIDES]
            shown = [money(v, exponent, currency) if as_money else f"{v:,}" for v in (*values, sum(values))]
            records.append(dg.TableRecord({"currency": currency.upper(), "measure": measure,
                                           "partner": shown[0], "direct": shown[1], "all": shown[2]}))
    return dg.MetadataValue.table(records=records, schema=TOTALS_SCHEMA)


CREDITS_SCHEMA = dg.TableSchema(columns=[
    dg.TableColumn("currency", "string"), dg.TableColumn("purchases charged", "string"),
    dg.TableColumn("credit purchased", "string"), dg.TableColumn("credit drawn", "string"),
    dg.TableColumn("credit expired", "string"), dg.TableColumn("credit transferred", "string"),
    dg.TableColumn("transfers rejected", "int"),
])


def credits_table(rows: list[CreditTotals]) -> dg.TableMetadataValue:
    """Per currency: purchases charged, face value purchased, drawn against invoices, expired, transferred."""
    records = [dg.TableRecord({
        "currency": r.currency.upper(),
        "purchases charged": money(r.purchases_charged_minor, r.exponent, r.currency),
        "credit purchased": money(r.purchased_minor, r.exponent, r.currency),
        "credit drawn": money(r.drawn_minor, r.exponent, r.currency),
        "credit expired": money(r.expired_minor, r.exponent, r.currency),
        "credit transferred": money(r.transferred_minor, r.exponent, r.currency),
        "transfers rejected": r.transfers_rejected,
    }) for r in rows]
    return dg.MetadataValue.table(records=records, schema=CREDITS_SCHEMA)


def adjustment_reason(adjustment: Adjustment) -> str:
    """Why a corrected month is billed again: its quantity changed, or only its price (tier or rate)."""
    if adjustment.quantity != 0:
        return f"quantity {'+' if adjustment.quantity > 0 else ''}{adjustment.quantity.normalize():f}"
    return f"price or tier change ({adjustment.tier} tier)" if adjustment.tier else "price change"


def adjustments_markdown(adjustments: list[Adjustment]) -> str:
    """The largest adjustments by amount, with the total of all of them per currency."""
    if not adjustments:
        return "No adjustments."
    largest = sorted(adjustments, key=lambda a: (-abs(a.amount_minor), a.billing_account_id, a.adjusts_period,
                                                 a.metric))[:LARGEST_ADJUSTMENTS]
    table = ["| Account | Side | Month corrected | Metric | Amount | Why |", "|---|---|---|---|--:|---|"]
    table += [f"| {a.billing_account_id} | {SIDE_NAMES[a.billing_account_type]} | {a.adjusts_period} | {a.metric} "
              f"| {money(a.amount_minor, a.exponent, a.currency)} | {adjustment_reason(a)} |" for a in largest]
    totals: dict[tuple[str, int], int] = {}
    for a in adjustments:
        totals[(a.currency, a.exponent)] = totals.get((a.currency, a.exponent), 0) + a.amount_minor
    shown = f"The largest {len(largest)} of {len(adjustments)} adjustments" if len(adjustments) > len(largest) \
        else f"All {len(adjustments)} adjustments"
    total = ", ".join(money(t, e, c) for (c, e), t in sorted(totals.items()))
    return f"{shown}, by amount. Total of all: {total}.\n\n" + "\n".join(table)


class StatementReconciliation(NamedTuple):
    currency: str
    exponent: int
    statements_minor: int
    partner_invoices_minor: int


def statements_markdown(rows: list[StatementReconciliation]) -> str:
    """The statement files' wholesale totals beside the partner invoices of the same months."""
    if not rows:
        return "No statements written."
    table = ["| Currency | Statements | Partner invoices | Difference |", "|---|--:|--:|--:|"]
    for r in sorted(rows):
        table.append(f"| {r.currency.upper()} | {money(r.statements_minor, r.exponent, r.currency)} "
                     f"| {money(r.partner_invoices_minor, r.exponent, r.currency)} "
                     f"| {money(r.statements_minor - r.partner_invoices_minor, r.exponent, r.currency)} |")
    return "\n".join(table)


def checks_markdown(specs: Iterable[dg.AssetCheckSpec]) -> str:
    """The blocking checks a close passes before it emits, with what each one holds."""
    blocking = sorted((s for s in specs if s.blocking), key=lambda s: (s.asset_key.to_user_string(), s.name))
    table = [f"{len(blocking)} blocking checks passed.", "", "| Check | On | What it holds |", "|---|---|---|"]
    table += [f"| {s.name} | {s.asset_key.to_user_string()} | {s.description or ''} |" for s in blocking]
    return "\n".join(table)


def rejected_credit_notes_markdown(rejected: list[tuple[str, str]]) -> str:
    """The credit notes a close rejected, each with its reason; their ids are spent."""
    if not rejected:
        return "No credit note was rejected."
    rows = [f"{len(rejected)} credit note(s) rejected; a corrected note needs a new id.", "",
            "| Credit note | Reason |", "|---|---|"]
    return "\n".join(rows + [f"| {note} | {reason} |" for note, reason in rejected])
