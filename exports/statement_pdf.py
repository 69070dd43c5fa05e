"""The partner's readable statement: a white-label PDF beside each statement CSV.

Built from the same marts as the CSV (statement rows, invoices, invoice lines,
credit ledger and blocks, forecast) and formatted exactly like it: amounts
with the currency's minor digits, quantities as plain decimals, so every
amount of the CSV reads the same in the PDF. Nothing names the platform: the
partner's name is the author, the document has no date, and the fonts are the
ones the typst package embeds (system fonts are ignored), so the same rows
give the same bytes on any machine. Charts are Vega-Lite specs rendered to SVG
by vl-convert from exact decimal text, which Vega parses to draw them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import altair as alt
import duckdb
import typst
import vl_convert

from exports.formatting import minor_units, plain_decimal

TEMPLATE = Path(__file__).with_name("templates") / "partner_statement.typ"
LINE_TYPE_LABELS = {
    "usage": "Usage", "adjustment": "Late usage", "commitment": "Commitment true-up",
    "commitment_adjustment": "Commitment adjustment", "credit_note": "Credit note", "credit": "Credit drawn",
    "credit_purchase": "Credit purchase",
}


@dataclass(frozen=True)
class Amounts:
    """A formatter of one currency's amounts and of quantities, the CSV's own."""

    exponent: int

    def money(self, minor: int | None) -> str:
        return minor_units(minor, self.exponent)

    @staticmethod
    def quantity(value: Decimal | None) -> str:
        return plain_decimal(value)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def _month_key(day: date) -> str:
    return f"{day:%Y-%m}"


def _chart_data(values: list[dict], numbers: tuple[str, ...]) -> alt.Data:
    """Inline chart data with its numbers as exact decimal text, which Vega parses for drawing only:
    no amount or quantity passes through binary floating point here."""
    return alt.Data(values=values, format=alt.DataFormat(parse={name: "number" for name in numbers}))


def _chart_svg(chart: alt.TopLevelMixin) -> str:
    # The specs are built here from known fields; validating each against the schema would double the cost.
    return vl_convert.vegalite_to_svg(chart.to_dict(validate=False))


def _usage_chart(history: list[dict]) -> str:
    values = [{"month": _month_key(h["invoice_period"]), "metric": f"{h['metric']} ({h['unit']})",
               "quantity": plain_decimal(h["quantity"])} for h in history]
    base = alt.Chart(_chart_data(values, ("quantity",))).mark_line(point=True).encode(
        x=alt.X("month:O", title=None), y=alt.Y("quantity:Q", title=None))
    return _chart_svg(base.properties(width=150, height=90).facet(facet=alt.Facet("metric:N", title=None), columns=4)
                      .resolve_scale(y="independent").properties(title="Billable quantity per metric"))


def _margin_chart(history: list[dict], amounts: Amounts) -> str:
    by_month: dict[str, dict[str, int]] = {}
    for h in history:
        month = by_month.setdefault(_month_key(h["invoice_period"]), {"wholesale": 0, "retail": 0})
        month["wholesale"] += h["wholesale_minor"]
        month["retail"] += h["retail_minor"] or 0
    values = [{"month": m, "amount": amounts.money(v), "series": s} for m, totals in sorted(by_month.items())
              for s, v in totals.items()]
    chart = alt.Chart(_chart_data(values, ("amount",))).mark_line(point=True).encode(
        x=alt.X("month:O", title=None), y=alt.Y("amount:Q", title=None),
        color=alt.Color("series:N", title=None, sort=["wholesale", "retail"]))
    return _chart_svg(chart.properties(width=560, height=140, title="Wholesale against retail (the gap is the margin)"))


def _forecast_chart(forecast: list[dict]) -> str:
    values = [{"month": _month_key(f["forecast_month"]), "metric": f["metric"],
               "forecast": plain_decimal(f["quantity_forecast"]), "low": plain_decimal(f["quantity_lower"]),
               "high": plain_decimal(f["quantity_upper"])} for f in forecast]
    base = alt.Chart(_chart_data(values, ("forecast", "low", "high")))
    band = base.mark_area(opacity=0.25).encode(x=alt.X("month:O", title=None), y=alt.Y("low:Q", title=None),
                                               y2="high:Q")
    line = base.mark_line(point=True).encode(x="month:O", y="forecast:Q")
    return _chart_svg((band + line).properties(width=150, height=90)
                      .facet(facet=alt.Facet("metric:N", title=None), columns=4)
                      .resolve_scale(y="independent").properties(title="Forecast with its 90 % interval"))


def _estimate(quantity: Decimal | None) -> str:
    """A forecast quantity for reading: whole units, as an estimate is no more precise than that;
    a dash for an interval bound that could not be calibrated."""
    return "—" if quantity is None else plain_decimal(quantity.quantize(Decimal(1)))


def _tenant_rows(rows: Sequence, amounts: Amounts) -> list[list[str]]:
    return [[f"{r.tenant_name} ({r.tenant_id})", f"{r.metric} ({r.unit})", amounts.quantity(r.quantity),
             amounts.money(r.wholesale_amount_minor), amounts.money(r.retail_amount_minor),
             amounts.money(r.margin_amount_minor)] for r in rows]


@dataclass(frozen=True)
class StatementContent:
    """Everything one statement's PDF prints, read from the warehouse: rendered without it, in any process."""

    data: dict
    history: list[dict]
    forecast: list[dict]
    exponent: int


def statement_content(con: duckdb.DuckDBPyConnection, rows: Sequence, period: date) -> StatementContent:
    """The PDF's content for one account's statement rows of `period`, and its chart data (history, forecast)."""
    first = rows[0]
    account, amounts = first.billing_account_id, Amounts(first.minor_unit_exponent)
    params = {"account": account, "period": period}
    [owner] = _rows(con, "select name, tier_floor from marts.dim_partners where partner_id = $account",
                    {"account": account}) or [{"name": first.partner_name, "tier_floor": None}]
    invoices = _rows(con, """select subtotal_minor, credits_minor, purchases_minor, total_minor from marts.fct_invoices
                             where billing_account_id = $account and billing_account_type = 'partner'
                               and invoice_period = $period""", params)
    lines = _rows(con, """select line_type, description, amount_minor, promotion_id from marts.fct_invoice_lines
                          where billing_account_id = $account and billing_account_type = 'partner'
                            and invoice_period = $period order by line_key""", params)
    tiers = _rows(con, "select tier, min_billable_users, discount_pct from seeds.partner_tiers "
                       "order by min_billable_users", {})
    history = _rows(con, """
        select invoice_period, metric, unit, sum(quantity) as quantity,
               sum(wholesale_amount_minor) as wholesale_minor, sum(retail_amount_minor) as retail_minor
        from marts.fct_statement_rows
        where billing_account_id = $account and line_type = 'usage'
          and invoice_period between $period - interval 11 month and $period
        group by all order by invoice_period, metric""", params)
    balances = _rows(con, """select opening_minor, purchased_minor, transferred_in_minor, transferred_out_minor,
                                    drawn_minor, expired_minor, closing_minor
                             from marts.fct_credit_balances
                             where billing_account_id = $account and billing_account_type = 'partner'
                               and close_month = $period""", params)
    # A block's balance as of this statement's close: its entries up to that close, so an earlier
    # month's statement reads the same after later closes.
    blocks = _rows(con, """
        select b.block_id, b.effective_on, b.expires_on, b.amount_minor, sum(l.amount_minor) as balance_minor,
               b.expires_on is not null and b.expires_on <= last_day($period) + interval 3 month as expiring
        from marts.fct_credit_blocks b join marts.fct_credit_ledger l using (block_id)
        where b.billing_account_id = $account and b.billing_account_type = 'partner' and l.close_month <= $period
        group by all having sum(l.amount_minor) > 0 order by b.expires_on nulls last, b.effective_on, b.block_id""",
                   params)
    transfers = _rows(con, """select entry_date, block_id, entry_type, amount_minor from marts.fct_credit_ledger
                              where billing_account_id = $account and billing_account_type = 'partner'
                                and close_month = $period and entry_type in ('transfer_in', 'transfer_out')
                              order by entry_id""", params)
    forecast = _rows(con, """select forecast_month, metric, quantity_forecast, quantity_lower, quantity_upper,
                                    revenue_forecast_minor
                             from marts.fct_usage_forecast
                             where billing_account_id = $account and billing_account_type = 'partner'
                               and forecast_month > $period and forecast_month <= $period + interval 3 month
                             order by forecast_month, metric""", params)

    usage = [r for r in rows if r.line_type == "usage"]
    # The month's own tier: that of its usage (adjustments carry the tier of the month they adjust).
    tier = next((r.tier for r in usage if r.tier), None) or "—"
    users = sum((r.quantity for r in usage if r.metric == "active_users"), Decimal(0))
    reason = f"{amounts.quantity(users)} billable users this month"
    if owner["tier_floor"]:
        reason += f", tier floor {owner['tier_floor']}"
    invoice = invoices[0] if invoices else {"subtotal_minor": 0, "credits_minor": 0, "purchases_minor": 0,
                                            "total_minor": 0}

    def by_type(*types: str) -> str:
        return amounts.money(sum(line["amount_minor"] for line in lines if line["line_type"] in types))

    promotions = sorted({line["promotion_id"] for line in lines if line["promotion_id"]})
    summary = [["Subtotal", amounts.money(invoice["subtotal_minor"])],
               ["of which usage", by_type("usage")],
               ["of which late usage", by_type("adjustment")],
               ["of which commitment true-up", by_type("commitment", "commitment_adjustment")],
               ["of which credit notes", by_type("credit_note")],
               ["Credits drawn", amounts.money(invoice["credits_minor"])],
               ["Credit purchases", amounts.money(invoice["purchases_minor"])],
               [{"text": "Total"}, {"text": amounts.money(invoice["total_minor"])}]]
    if promotions:
        summary.insert(5, ["promotions applied", ", ".join(promotions)])

    partners: dict[str, dict] = {}
    # The owner's own tenants first, then each sub-partner's, each group by tenant then metric.
    usage = sorted(usage, key=lambda r: (r.partner_id != account, r.partner_id, r.tenant_id or "", r.metric or ""))
    for r in usage:
        partners.setdefault(r.partner_id, {"title": f"{r.partner_name} ({r.partner_id})", "rows": []})
    for partner_id, group in partners.items():
        tenant_rows = [r for r in usage if r.partner_id == partner_id]
        group["rows"] = _tenant_rows(tenant_rows, amounts)
        group["rows"].append([{"text": "Total"}, None, None,
                              {"text": amounts.money(sum(r.wholesale_amount_minor for r in tenant_rows))},
                              {"text": amounts.money(sum(r.retail_amount_minor or 0 for r in tenant_rows))},
                              {"text": amounts.money(sum(r.margin_amount_minor or 0 for r in tenant_rows))}])
    late: dict[str, list] = {}
    for r in rows:
        if r.line_type == "adjustment":
            late.setdefault(_month_key(r.adjusts_period), []).append(r)

    data = {
        "title": f"{owner['name']} statement {_month_key(period)}",
        "partner_name": owner["name"],
        "account": account,
        "period": _month_key(period),
        "currency": first.currency.upper(),
        "tier": {"name": tier, "reason": reason,
                 "thresholds": [[{"text": cell} if t["tier"] == tier else cell for cell in (
                     t["tier"], amounts.quantity(t["min_billable_users"]), f"{amounts.quantity(t['discount_pct'])} %")]
                     for t in tiers]},
        "summary": summary,
        "lines": [[LINE_TYPE_LABELS.get(line["line_type"], line["line_type"]), line["description"],
                   amounts.money(line["amount_minor"])] for line in lines],
        "partners": list(partners.values()),
        "usage_total": ["All tenants", amounts.money(sum(r.wholesale_amount_minor for r in usage)),
                        amounts.money(sum(r.retail_amount_minor or 0 for r in usage)),
                        amounts.money(sum(r.margin_amount_minor or 0 for r in usage))],
        "forecast": [[_month_key(f["forecast_month"]), f["metric"], *(
                      _estimate(f[c]) for c in ("quantity_forecast", "quantity_lower", "quantity_upper")),
                      amounts.money(f["revenue_forecast_minor"])] for f in forecast] or None,
        "forecast_note": "Forecasts are made at the latest close; this month's next quarter has none.",
        "credits": None if not (balances or blocks) else {
            "balance": [[label, amounts.money(balances[0][column] if balances else 0)] for label, column in (
                ("Opening", "opening_minor"), ("Purchased", "purchased_minor"),
                ("Transferred in", "transferred_in_minor"), ("Transferred out", "transferred_out_minor"),
                ("Drawn", "drawn_minor"), ("Expired", "expired_minor"), ("Closing", "closing_minor"))],
            "blocks": [[{"text": cell} if b["expiring"] else cell for cell in (
                b["block_id"], b["effective_on"].isoformat(), b["expires_on"].isoformat() if b["expires_on"] else "never",
                amounts.money(b["amount_minor"]), amounts.money(b["balance_minor"]))] for b in blocks],
            "transfers": [[t["entry_date"].isoformat(), t["block_id"], t["entry_type"].replace("_", " "),
                           amounts.money(t["amount_minor"])] for t in transfers],
        },
        "late": [{"title": f"Adjusting {month}", "rows": _tenant_rows(adjusted, amounts)}
                 for month, adjusted in sorted(late.items())],
    }
    return StatementContent(data, history, forecast, first.minor_unit_exponent)


class NotWhiteLabel(ValueError):
    """A statement would print the platform's name."""


def render_pdf(content: StatementContent, platform_name: str) -> bytes:
    """The PDF of one statement's content.

    Every text it prints is in data.json or a chart (the template has no
    names), so those are where the platform's name is looked for.
    """
    amounts = Amounts(content.exponent)
    inputs = {"data": json.dumps(content.data, ensure_ascii=False)}
    # A chart of nothing has no size: an account without usage in the twelve months gets none.
    if content.history:
        inputs["usage"] = _usage_chart(content.history)
        inputs["margin"] = _margin_chart(content.history, amounts)
    if content.forecast:
        inputs["forecast"] = _forecast_chart(content.forecast)
    named = [name for name, text in inputs.items() if platform_name and platform_name.lower() in text.lower()]
    if named:
        raise NotWhiteLabel(f"the statement of {content.data['account']} for {content.data['period']} would print "
                            f"the platform's name (PLATFORM_NAME) in its {', '.join(named)}")
    return _compiler().compile(sys_inputs=inputs)


@functools.cache
def _compiler() -> typst.Compiler:
    """One compiler per process: the template and the embedded fonts are loaded once."""
    return typst.Compiler(TEMPLATE, root=TEMPLATE.parent, ignore_system_fonts=True)
