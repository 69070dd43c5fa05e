"""Send every emitted invoice item the current mode's ledger has not confirmed.

Per billing account, invoice period and currency: the customer (landed id,
else the one remembered, else one found by a list call, else created), one
draft invoice (remembered, else found among the customer's drafts by its
metadata, else created with auto_advance off), then one invoice item per item
row. Before creating anything the ledger is consulted, then Stripe's lists
(idempotency keys expire after 24 h and a re-run may come days later), and
only then is the object created with an idempotency key derived from the
line_key. Confirmations are buffered in the Stripe ledger and written every
FLUSH_EVERY_ROWS rows and at the end of the run (see exports/stripe/ledger.py).
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from collections.abc import Callable
from itertools import groupby

import duckdb
import stripe

from exports.stripe.gateway import StripeGateway, is_server_error
from exports.stripe.ledger import StripeLedger

ITEMS_QUERY = """
select invoice_period, billing_account_type, billing_account_id, billing_account_name, stripe_customer_id,
       currency, line_key, description, service_period, service_period_end, part, parts, amount_minor,
       line_type, reference, credits_line_key
from marts.fct_stripe_invoice_items
order by invoice_period, billing_account_type, billing_account_id, currency, line_key, part
"""


@dataclass(frozen=True)
class Item:
    invoice_period: date
    billing_account_type: str
    billing_account_id: str
    billing_account_name: str | None
    stripe_customer_id: str | None
    currency: str
    line_key: str
    description: str
    service_period: date
    service_period_end: date
    part: int
    parts: int
    amount_minor: int
    line_type: str
    reference: str | None  # what a line without a metric bills: commitment or credit note id
    credits_line_key: str | None  # the line a credit note credits

    @property
    def account_ref(self) -> str:
        return f"{self.billing_account_type}:{self.billing_account_id}"

    @property
    def invoice_group(self) -> tuple:
        return (self.invoice_period, self.billing_account_type, self.billing_account_id, self.currency)


@dataclass
class SendReport:
    customers_created: int = 0
    invoices_created: int = 0
    items_created: int = 0
    items_found_existing: int = 0
    items_already_confirmed: int = 0
    invoices_finalized: int = 0
    sent_minor_by_currency: Counter = field(default_factory=Counter)
    failed: list[tuple[str, int, str]] = field(default_factory=list)  # line_key, part, what Stripe said


def read_items(con: duckdb.DuckDBPyConnection) -> list[Item]:
    return [Item(*row) for row in con.execute(ITEMS_QUERY).fetchall()]


def _unix(day: date) -> int:
    return calendar.timegm(day.timetuple())


def _create(create: Callable[[dict, str], str], params: dict, key: str, find: Callable[[], str | None],
            ledger: StripeLedger) -> tuple[str, bool]:
    """The object's id, created under the key's current generation; and whether it was created now.

    Stripe stores a 5xx under the key and replays it for that key, so after
    one the object is looked up (it may have been made before the error), and
    only when it is not there is it created once more, under a new generation
    of the key. Any other error, or a second failure, is raised.
    """
    try:
        return create(params, ledger.idempotency_key(key)), True
    except stripe.StripeError as error:
        if not is_server_error(error):
            raise
    found = find()
    if found:
        return found, False
    return create(params, ledger.new_key_generation(key)), True


def _customer(item: Item, ledger: StripeLedger, gateway: StripeGateway, report: SendReport) -> str:
    if item.stripe_customer_id:
        return item.stripe_customer_id
    remembered = ledger.customer(item.billing_account_type, item.billing_account_id)
    if remembered:
        return remembered
    customer_id = gateway.find_customer(item.account_ref)
    if customer_id is None:
        customer_id, created = _create(
            lambda params, key: gateway.create_customer(params, key=key),
            {"name": item.billing_account_name or item.billing_account_id,
             "metadata": {"billing_account": item.account_ref}},
            f"customer:{item.account_ref}", lambda: gateway.find_customer(item.account_ref), ledger,
        )
        report.customers_created += created
    ledger.record_customer(item.billing_account_type, item.billing_account_id, customer_id)
    return customer_id


def _invoice(item: Item, customer_id: str, ledger: StripeLedger, gateway: StripeGateway,
             report: SendReport) -> tuple[str, bool]:
    """The draft invoice id, and whether it was created just now (so it has no items yet)."""
    args = (item.billing_account_type, item.billing_account_id, item.invoice_period, item.currency)
    remembered = ledger.invoice(*args)
    if remembered:
        return remembered, False
    metadata = {"billing_account": item.account_ref, "invoice_period": f"{item.invoice_period:%Y-%m}",
                "currency": item.currency}
    invoice_id = gateway.find_draft_invoice(customer_id, metadata)
    created = invoice_id is None
    if created:
        invoice_id, created = _create(
            lambda params, key: gateway.create_invoice(params, key=key),
            {"customer": customer_id, "currency": item.currency, "auto_advance": False,
             "pending_invoice_items_behavior": "exclude", "metadata": metadata},
            f"invoice:{item.account_ref}:{item.invoice_period:%Y-%m}:{item.currency}",
            lambda: gateway.find_draft_invoice(customer_id, metadata), ledger,
        )
        report.invoices_created += created
    ledger.record_invoice(*args, customer_id, invoice_id)
    return invoice_id, created


def item_params(item: Item, customer_id: str, invoice_id: str) -> dict:
    return {
        "customer": customer_id,
        "invoice": invoice_id,
        "amount": item.amount_minor,
        "currency": item.currency,
        "description": item.description if item.parts == 1 else f"{item.description} ({item.part}/{item.parts})",
        "period": {"start": _unix(item.service_period), "end": _unix(item.service_period_end)},
        "metadata": {"line_key": item.line_key, "part": str(item.part), "period": f"{item.service_period:%Y-%m}",
                     "billing_account_id": item.billing_account_id,
                     **({"credit_note": item.reference, "credits_line_key": item.credits_line_key}
                        if item.line_type == "credit_note" else {})},
    }


FLUSH_EVERY_ROWS = 1000


def _send_group(group: list[Item], ledger: StripeLedger, gateway: StripeGateway, report: SendReport,
                finalize: bool, sent: set[tuple[str, int]]) -> None:
    """One invoice: its customer, its draft invoice, its items; `sent` gets each item recorded."""
    customer_id = _customer(group[0], ledger, gateway, report)
    invoice_id, fresh = _invoice(group[0], customer_id, ledger, gateway, report)
    existing = {} if fresh else gateway.existing_items(invoice_id)
    for item in group:
        try:
            item_id = existing.get((item.line_key, item.part))
            if item_id:
                report.items_found_existing += 1
            else:
                item_id, created = _create(
                    lambda params, key: gateway.create_invoice_item(params, key=key),
                    item_params(item, customer_id, invoice_id), f"item:{item.line_key}:{item.part}",
                    lambda: gateway.existing_items(invoice_id).get((item.line_key, item.part)), ledger,
                )
                report.items_created += created
                report.items_found_existing += not created
        except stripe.StripeError as error:
            report.failed.append((item.line_key, item.part, _reason(error)))
            continue
        ledger.record_item(item.line_key, item.part, invoice_id, item_id, item.amount_minor, item.currency)
        sent.add((item.line_key, item.part))
        report.sent_minor_by_currency[item.currency] += item.amount_minor
    if finalize and len(sent) == len(group):
        gateway.finalize_invoice(invoice_id, key=f"finalize:{invoice_id}")
        report.invoices_finalized += 1


def _reason(error: stripe.StripeError) -> str:
    """What Stripe said, without anything of the request (the key never appears in an error)."""
    return f"{type(error).__name__} {getattr(error, 'http_status', None) or ''}: {error.user_message or error}".strip()


def send_unsent(items: list[Item], ledger: StripeLedger, gateway: StripeGateway, finalize: bool = False) -> SendReport:
    """Send every item not confirmed yet; a line Stripe still refuses is reported and the others are sent.

    Confirmations are flushed to the ledger every FLUSH_EVERY_ROWS rows and
    whatever happens at the end; after a hard kill, the unflushed objects are
    found by list calls.
    """
    report = SendReport()
    confirmed = ledger.sent_items()
    report.items_already_confirmed = sum((i.line_key, i.part) in confirmed for i in items)
    pending = [i for i in items if (i.line_key, i.part) not in confirmed]
    try:
        for _, group_items in groupby(pending, key=lambda i: i.invoice_group):
            group, sent = list(group_items), set()
            try:
                _send_group(group, ledger, gateway, report, finalize, sent)
            except stripe.StripeError as error:
                # The customer, the invoice or its finalizing failed: the items not sent are reported.
                report.failed += [(i.line_key, i.part, _reason(error)) for i in group
                                  if (i.line_key, i.part) not in sent]
            if ledger.pending_rows >= FLUSH_EVERY_ROWS:
                ledger.flush()
    finally:
        ledger.flush()
    return report
