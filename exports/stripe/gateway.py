"""Two ways to talk to Stripe with one interface: live (StripeClient) and outbox.

The sender never knows which: it asks to find or create customers, draft
invoices and invoice items. The outbox gateway reaches no network; it records
each request it would make, with invoices referred to symbolically.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import stripe

from exports.stripe.ledger import StripeLedger


class StripeGateway(Protocol):
    def find_customer(self, account_ref: str) -> str | None: ...
    def create_customer(self, params: dict, key: str) -> str: ...
    def find_draft_invoice(self, customer_id: str, metadata: dict[str, str]) -> str | None: ...
    def create_invoice(self, params: dict, key: str) -> str: ...
    def existing_items(self, invoice_id: str) -> dict[tuple[str, int], str]: ...
    def create_invoice_item(self, params: dict, key: str) -> str: ...
    def finalize_invoice(self, invoice_id: str, key: str) -> None: ...


class RateLimiter:
    """At most `per_second` calls a second, spaced evenly."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = 0.0

    def wait(self) -> None:
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


def is_server_error(error: Exception) -> bool:
    """A 5xx: Stripe stores it under the request's idempotency key and replays it for that key."""
    return isinstance(error, stripe.StripeError) and (getattr(error, "http_status", None) or 0) >= 500


def is_retryable(error: Exception, *, server_errors: bool = True) -> bool:
    """429 (with or without Stripe-Should-Retry), 409 in-flight, connection errors, and 5xx where asked."""
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        return True
    status = getattr(error, "http_status", None) or 0
    return isinstance(error, stripe.StripeError) and (status in (409, 429) or (server_errors and status >= 500))


class LiveGateway:
    """StripeClient with retries: the library's own (connection, 409, 5xx), then ours with
    exponential backoff and jitter for everything retryable, including a plain 429 that
    the library never retries; a client-side rate limit on every call. A create is not
    retried after a 5xx: Stripe replays it for the same key, so the sender looks the
    object up and, only when it is not there, creates it under a new key."""

    def __init__(self, api_key: str, api_base: str | None, *, requests_per_second: float = 25.0,
                 max_attempts: int = 6, base_delay: float = 0.5, max_delay: float = 20.0,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=2,
        )
        self.limiter = RateLimiter(requests_per_second, sleep=sleep)
        self.max_attempts, self.base_delay, self.max_delay, self.sleep = max_attempts, base_delay, max_delay, sleep

    def _call(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        creates = "idempotency_key" in kwargs.get("options", {})
        for attempt in range(1, self.max_attempts + 1):
            self.limiter.wait()
            try:
                return fn(**kwargs)
            except stripe.StripeError as error:
                if attempt == self.max_attempts or not is_retryable(error, server_errors=not creates):
                    raise
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                self.sleep(random.uniform(delay / 2, delay))
        raise AssertionError("unreachable")

    def _list(self, list_fn: Callable[..., Any], params: dict) -> Iterator[dict]:
        starting_after = None
        while True:
            page_params = {**params, "limit": 100, **({"starting_after": starting_after} if starting_after else {})}
            page = self._call(list_fn, params=page_params)
            data = [obj.to_dict() for obj in page.data]
            yield from data
            if not page.has_more or not data:
                return
            starting_after = data[-1]["id"]

    def find_customer(self, account_ref: str) -> str | None:
        for customer in self._list(self.client.v1.customers.list, {}):
            if (customer.get("metadata") or {}).get("billing_account") == account_ref:
                return customer["id"]
        return None

    def create_customer(self, params: dict, key: str) -> str:
        return self._call(self.client.v1.customers.create, params=params, options={"idempotency_key": key}).id

    def find_draft_invoice(self, customer_id: str, metadata: dict[str, str]) -> str | None:
        for invoice in self._list(self.client.v1.invoices.list, {"customer": customer_id, "status": "draft"}):
            found = invoice.get("metadata") or {}
            if all(found.get(k) == v for k, v in metadata.items()):
                return invoice["id"]
        return None

    def create_invoice(self, params: dict, key: str) -> str:
        return self._call(self.client.v1.invoices.create, params=params, options={"idempotency_key": key}).id

    def existing_items(self, invoice_id: str) -> dict[tuple[str, int], str]:
        found = {}
        for item in self._list(self.client.v1.invoice_items.list, {"invoice": invoice_id}):
            meta = item.get("metadata") or {}
            if "line_key" in meta:
                found[(meta["line_key"], int(meta.get("part", "1")))] = item["id"]
        return found

    def create_invoice_item(self, params: dict, key: str) -> str:
        return self._call(self.client.v1.invoice_items.create, params=params, options={"idempotency_key": key}).id

    def finalize_invoice(self, invoice_id: str, key: str) -> None:
        self._call(self.client.v1.invoices.finalize_invoice, invoice=invoice_id, options={"idempotency_key": key})


class OutboxGateway:
    """No network: each request goes to the outbox table, exactly as it would be sent."""

    def __init__(self, ledger: StripeLedger, run_id: str | None):
        self.ledger, self.run_id = ledger, run_id

    def _record(self, path: str, params: dict, key: str, ref: str) -> str:
        self.ledger.append_outbox(self.run_id, "POST", path, key, params)
        return ref

    def find_customer(self, account_ref: str) -> str | None:
        return None

    def create_customer(self, params: dict, key: str) -> str:
        return self._record("/v1/customers", params, key, "{{customer:%s}}" % params["metadata"]["billing_account"])

    def find_draft_invoice(self, customer_id: str, metadata: dict[str, str]) -> str | None:
        return None

    def create_invoice(self, params: dict, key: str) -> str:
        meta = params["metadata"]
        ref = "{{invoice:%s:%s:%s}}" % (meta["billing_account"], meta["invoice_period"], meta["currency"])
        return self._record("/v1/invoices", params, key, ref)

    def existing_items(self, invoice_id: str) -> dict[tuple[str, int], str]:
        return {}

    def create_invoice_item(self, params: dict, key: str) -> str:
        meta = params["metadata"]
        return self._record("/v1/invoiceitems", params, key, "{{item:%s:%s}}" % (meta["line_key"], meta["part"]))

    def finalize_invoice(self, invoice_id: str, key: str) -> None:
        self._record(f"/v1/invoices/{invoice_id}/finalize", {}, key, invoice_id)
