"""Fired alerts posted to their webhooks (SPEC §5.12): separate from firing, like Stripe sending.

Every event of the ledger not yet delivered in the current mode is tried once
per delivery run. `outbox` writes the exact request to `alert_outbox`; `live`
posts it with httpx: signed, a timeout, no redirects followed, retries with
backoff and jitter on 429, 5xx and connection errors. Each outcome is appended
to `alert_deliveries` in its own transaction as soon as it is known, so a run
killed mid-batch loses at most the event in flight; that one is posted again
with the same Idempotency-Key, which is how the receiver tells it from a new
event. A delivered event (a 2xx, or its request in the outbox) is never sent
again in that mode. Only URLs whose host is allowed are ever connected to. The
secret signs requests and is never logged or stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import urlsplit

import duckdb
import httpx

from dagster_project.ledger_tables import ALERT_DELIVERIES, ALERT_OUTBOX

SIGNATURE_HEADER = "Partner-Billing-Signature"
RETRY_AFTER_CAP_SECONDS = 60


@dataclass(frozen=True)
class AlertEvent:
    event_id: str
    alert_id: str
    month: date
    billing_account_type: str
    billing_account_id: str
    landing_date: date
    measure: str
    metric: str | None
    value: Decimal
    threshold: Decimal
    currency: str | None
    webhook_url: str | None


@dataclass(frozen=True)
class Outcome:
    state: str  # delivered or failed
    status_code: int | None
    reason: str | None
    attempts: int


@dataclass
class DeliveryReport:
    mode: str
    delivered: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    already_delivered: int = 0
    without_webhook: int = 0


def _plain(value: Decimal) -> str:
    """An exact decimal without trailing zeros or exponent: 1500.000000 -> 1500."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def event_body(event: AlertEvent) -> bytes:
    """The JSON posted: the event as fired, amounts as exact decimal strings, keys sorted (the bytes signed)."""
    return json.dumps({
        "event_id": event.event_id,
        "alert_id": event.alert_id,
        "month": f"{event.month:%Y-%m}",
        "billing_account_type": event.billing_account_type,
        "billing_account_id": event.billing_account_id,
        "landing_date": event.landing_date.isoformat(),
        "measure": event.measure,
        "metric": event.metric,
        "value": _plain(event.value),
        "threshold": _plain(event.threshold),
        "currency": event.currency.upper() if event.currency else None,
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def request_headers(event: AlertEvent, body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    return {"Content-Type": "application/json", "Idempotency-Key": event.event_id,
            SIGNATURE_HEADER: signature(secret, timestamp, body)}


def allowed_hosts(text: str) -> frozenset[str]:
    """ALERT_WEBHOOK_HOSTS: comma-separated host names, compared without case."""
    return frozenset(host.strip().lower() for host in text.split(",") if host.strip())


def url_problem(url: str, hosts: frozenset[str]) -> str | None:
    """Why a URL is never called, or None: only http(s) URLs whose host is allowed are."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"webhook_url must be an http or https URL, not {url!r}"
    if (parts.hostname or "").lower() not in hosts:
        return f"host {parts.hostname or ''!r} is not in ALERT_WEBHOOK_HOSTS"
    return None


def _retry_delay(response: httpx.Response | None, attempt: int, backoff_seconds: float) -> float:
    """Retry-After when the server gives one in seconds, else exponential backoff with full jitter."""
    if response is not None:
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.strip().isdigit():
            return min(int(retry_after), RETRY_AFTER_CAP_SECONDS)
    return backoff_seconds * (2 ** (attempt - 1)) * (0.5 + random.random())


def post_event(client: httpx.Client, event: AlertEvent, secret: str, *, max_attempts: int,
               backoff_seconds: float, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """POST one event until a 2xx, another answer that is final, or the attempts run out.

    Signed afresh at each attempt, so the timestamp is the attempt's. A 3xx is
    never followed: its target is not an allowed host by construction.
    """
    body = event_body(event)
    status, reason = None, ""
    for attempt in range(1, max_attempts + 1):
        response = None
        try:
            response = client.post(event.webhook_url, content=body,
                                   headers=request_headers(event, body, secret, int(time.time())))
        except httpx.TimeoutException:
            status, reason = None, "timed out"
        except httpx.TransportError as error:
            status, reason = None, f"connection failed ({type(error).__name__})"
        else:
            status = response.status_code
            if 200 <= status < 300:
                return Outcome("delivered", status, None, attempt)
            if 300 <= status < 400:
                target = response.headers.get("Location", "")
                return Outcome("failed", status, f"HTTP {status}: redirect to {target!r} not followed", attempt)
            if status != 429 and status < 500:
                return Outcome("failed", status, f"HTTP {status}", attempt)
            reason = f"HTTP {status}"
        if attempt < max_attempts:
            sleep(_retry_delay(response, attempt, backoff_seconds))
    return Outcome("failed", status, f"{reason} after {max_attempts} attempts", max_attempts)


def read_undelivered(con: duckdb.DuckDBPyConnection, mode: str) -> tuple[list[AlertEvent], int]:
    """Fired events not delivered in this mode, in firing order, and how many already were."""
    delivered = "exists (select 1 from main.alert_deliveries d where d.event_id = e.event_id " \
                "and d.mode = $mode and d.state = 'delivered')"
    cursor = con.execute(
        f"select e.*, {delivered} as delivered from main.alert_events e order by e.fired_at, e.event_id",
        {"mode": mode})
    columns = [c[0] for c in cursor.description]
    rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    names = AlertEvent.__dataclass_fields__
    events = [AlertEvent(**{k: v for k, v in row.items() if k in names}) for row in rows if not row["delivered"]]
    return events, sum(1 for row in rows if row["delivered"])


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _record(con: duckdb.DuckDBPyConnection, event: AlertEvent, mode: str, outcome: Outcome, run_id: str,
            outbox: tuple[str, str] | None = None) -> None:
    con.execute("begin transaction")
    if outbox is not None:
        headers, body = outbox
        con.execute(f"insert into main.alert_outbox ({ALERT_OUTBOX.column_names()}) values (?, ?, ?, ?, ?, ?)",
                    [event.event_id, event.webhook_url, headers, body, _now(), run_id])
    con.execute(f"insert into main.alert_deliveries ({ALERT_DELIVERIES.column_names()}) "
                "values (?, ?, ?, ?, ?, ?, ?, ?)",
                [event.event_id, mode, outcome.state, outcome.status_code, outcome.reason, outcome.attempts,
                 _now(), run_id])
    con.execute("commit")


def deliver(con: duckdb.DuckDBPyConnection, *, mode: str, secret: str, hosts: frozenset[str], run_id: str,
            timeout_seconds: float = 10.0, max_attempts: int = 5, backoff_seconds: float = 0.5,
            sleep: Callable[[float], None] = time.sleep) -> DeliveryReport:
    """Deliver every fired event not yet delivered in `mode`; returns what happened to each."""
    events, already = read_undelivered(con, mode)
    report = DeliveryReport(mode=mode, already_delivered=already)
    # httpx's transport retries a failed connect; post_event retries what the server answers.
    transport = httpx.HTTPTransport(retries=2)
    with httpx.Client(transport=transport, timeout=timeout_seconds, follow_redirects=False) as client:
        for event in events:
            if not event.webhook_url:
                report.without_webhook += 1
                continue
            if mode == "outbox":
                body = event_body(event)
                headers = request_headers(event, body, secret, int(time.time())) if secret else \
                    {"Content-Type": "application/json", "Idempotency-Key": event.event_id}
                _record(con, event, mode, Outcome("delivered", None, None, 0), run_id,
                        outbox=(json.dumps(headers, sort_keys=True), body.decode("utf-8")))
                report.delivered.append(event.event_id)
                continue
            problem = url_problem(event.webhook_url, hosts) or (
                None if secret else "ALERT_WEBHOOK_SECRET is not set: nothing is posted unsigned")
            outcome = Outcome("failed", None, problem, 0) if problem else post_event(
                client, event, secret, max_attempts=max_attempts, backoff_seconds=backoff_seconds, sleep=sleep)
            _record(con, event, mode, outcome, run_id)
            if outcome.state == "delivered":
                report.delivered.append(event.event_id)
            else:
                report.failed.append((event.event_id, outcome.reason or ""))
    return report
