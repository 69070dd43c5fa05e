"""Alert delivery against a real local HTTP server (SPEC §5.12): signed, retried, never twice after a 2xx."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.ledger_tables import ensure_ledger_tables
from exports.alerts.webhooks import AlertEvent, allowed_hosts, deliver, event_body, url_problem
from tests.webhook_receiver import Receiver, ReceiverServer

SECRET = "whsec-test-0f9e8d7c6b5a"
LOCAL = allowed_hosts("127.0.0.1")


def _event(n: int, url: str) -> AlertEvent:
    return AlertEvent(event_id=f"rule-{n}:2025-03", alert_id=f"rule-{n}", month=date(2025, 3, 1),
                      billing_account_type="partner", billing_account_id="PA", landing_date=date(2025, 3, 4),
                      measure="spend", metric=None, value=Decimal("1250.500000"), threshold=Decimal("1000"),
                      currency="eur", webhook_url=url)


def _ledger(path: Path, events: list[AlertEvent]) -> Path:
    with duckdb.connect(str(path)) as con:
        ensure_ledger_tables(con)
        for e in events:
            con.execute("insert into alert_events values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp, 'r')",
                        [e.event_id, e.alert_id, e.month, e.billing_account_type, e.billing_account_id,
                         e.landing_date, e.measure, e.metric, e.value, e.threshold, e.currency, e.webhook_url])
    return path


def _deliver(path: Path, *, hosts=LOCAL, mode: str = "live", timeout: float = 0.5, sleeps: list | None = None):
    with duckdb.connect(str(path)) as con:
        return deliver(con, mode=mode, secret=SECRET, hosts=hosts, run_id="test", timeout_seconds=timeout,
                       max_attempts=4, backoff_seconds=0.01,
                       sleep=(sleeps.append if sleeps is not None else (lambda _: None)))


def _deliveries(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select event_id, mode, state, status_code, reason, attempts from alert_deliveries "
                           "order by recorded_at, event_id").fetchall()


def test_the_receiver_verifies_the_signature_of_each_event_with_the_secret(tmp_path):
    with ReceiverServer(Receiver(SECRET)) as server:
        ledger = _ledger(tmp_path / "l.duckdb", [_event(1, server.url), _event(2, server.url)])
        report = _deliver(ledger)
    received = server.receiver.requests
    assert [r.key for r in received] == ["rule-1:2025-03", "rule-2:2025-03"]
    assert all(r.signature_valid for r in received)
    assert received[0].body == {"alert_id": "rule-1", "billing_account_id": "PA", "billing_account_type": "partner",
                                "currency": "EUR", "event_id": "rule-1:2025-03", "landing_date": "2025-03-04",
                                "measure": "spend", "metric": None, "month": "2025-03", "threshold": "1000",
                                "value": "1250.5"}
    assert report.delivered == ["rule-1:2025-03", "rule-2:2025-03"] and report.failed == []
    assert [row[:4] for row in _deliveries(ledger)] == [("rule-1:2025-03", "live", "delivered", 200),
                                                         ("rule-2:2025-03", "live", "delivered", 200)]


def test_a_signature_made_with_another_secret_does_not_verify():
    receiver = Receiver(SECRET)
    body = event_body(_event(1, "http://127.0.0.1/"))
    from exports.alerts.webhooks import signature
    assert receiver.verify(signature(SECRET, 1700000000, body), body)
    assert not receiver.verify(signature("another", 1700000000, body), body)
    assert not receiver.verify(signature(SECRET, 1700000000, body), body + b" ")


def test_a_delivered_event_is_never_sent_again(tmp_path):
    with ReceiverServer(Receiver(SECRET)) as server:
        ledger = _ledger(tmp_path / "l.duckdb", [_event(1, server.url)])
        _deliver(ledger)
        again = _deliver(ledger)
    assert len(server.receiver.requests) == 1
    assert again.delivered == [] and again.already_delivered == 1


def test_500_429_with_retry_after_a_dropped_connection_and_a_hang_are_retried_until_delivered(tmp_path):
    receiver = Receiver(SECRET)
    receiver.faults.extend(["500", "429:3", "drop", "hang:1.5"])
    sleeps: list[float] = []
    with ReceiverServer(receiver) as server:
        ledger = _ledger(tmp_path / "l.duckdb", [_event(1, server.url)])
        with duckdb.connect(str(ledger)) as con:
            report = deliver(con, mode="live", secret=SECRET, hosts=LOCAL, run_id="t", timeout_seconds=0.5,
                             max_attempts=6, backoff_seconds=0.01, sleep=sleeps.append)
    assert report.delivered == ["rule-1:2025-03"]
    assert list(receiver.accepted) == ["rule-1:2025-03"] and receiver.replays == 0
    # The 500, the 429, the dropped connection and the hang each cost an attempt; the fifth succeeded.
    assert len(receiver.requests) == 5
    assert sleeps[1] == 3.0  # Retry-After, in seconds
    assert [row[2:] for row in _deliveries(ledger)] == [("delivered", 200, None, 5)]


def test_retries_used_up_fail_the_event_with_the_last_status_and_the_next_run_tries_again(tmp_path):
    receiver = Receiver(SECRET)
    receiver.faults.extend(["500"] * 4)
    with ReceiverServer(receiver) as server:
        ledger = _ledger(tmp_path / "l.duckdb", [_event(1, server.url)])
        first = _deliver(ledger)
        second = _deliver(ledger)
    assert first.failed == [("rule-1:2025-03", "HTTP 500 after 4 attempts")]
    assert second.delivered == ["rule-1:2025-03"]
    assert [row[2:] for row in _deliveries(ledger)] == [("failed", 500, "HTTP 500 after 4 attempts", 4),
                                                       ("delivered", 200, None, 1)]


def test_another_4xx_fails_the_event_at_once_with_its_status(tmp_path):
    receiver = Receiver(SECRET)
    receiver.faults.append("400")
    with ReceiverServer(receiver) as server:
        ledger = _ledger(tmp_path / "l.duckdb", [_event(1, server.url)])
        report = _deliver(ledger)
    assert report.failed == [("rule-1:2025-03", "HTTP 400")]
    assert len(receiver.requests) == 1
    assert [row[2:] for row in _deliveries(ledger)] == [("failed", 400, "HTTP 400", 1)]


def test_a_redirect_to_another_host_is_not_followed(tmp_path):
    elsewhere = Receiver(SECRET)
    with ReceiverServer(elsewhere) as other, ReceiverServer(Receiver(SECRET)) as server:
        server.receiver.faults.append(f"redirect->{other.url.replace('127.0.0.1', 'localhost')}")
        ledger = _ledger(tmp_path / "l.duckdb", [_event(1, server.url)])
        report = _deliver(ledger, hosts=allowed_hosts("127.0.0.1,localhost"))
    assert elsewhere.requests == []
    assert report.failed and report.failed[0][1].startswith("HTTP 302: redirect to 'http://localhost:")
    assert [row[2:4] for row in _deliveries(ledger)] == [("failed", 302)]


def test_a_url_whose_host_is_not_allowed_is_never_connected_to(tmp_path):
    with ReceiverServer(Receiver(SECRET)) as server:
        ledger = _ledger(tmp_path / "l.duckdb", [_event(1, server.url),
                                                 _event(2, server.url.replace("http:", "ftp:"))])
        report = _deliver(ledger, hosts=allowed_hosts("hooks.example.com"))
    assert server.receiver.requests == []
    assert report.failed == [("rule-1:2025-03", "host '127.0.0.1' is not in ALERT_WEBHOOK_HOSTS"),
                             ("rule-2:2025-03", f"webhook_url must be an http or https URL, not "
                                                f"{server.url.replace('http:', 'ftp:')!r}")]


def test_hosts_are_compared_without_case_and_only_http_and_https_are_called():
    hosts = allowed_hosts(" Hooks.Example.com ,api.partner.io")
    assert url_problem("https://HOOKS.example.com/a", hosts) is None
    assert url_problem("http://api.partner.io:8443/x", hosts) is None
    assert url_problem("https://hooks.example.com.evil.io/a", hosts) is not None
    assert url_problem("file:///etc/passwd", hosts) is not None


def test_outbox_mode_writes_the_exact_request_and_posts_nothing(tmp_path):
    with ReceiverServer(Receiver(SECRET)) as server:
        ledger = _ledger(tmp_path / "l.duckdb", [_event(1, server.url)])
        report = _deliver(ledger, mode="outbox")
    assert server.receiver.requests == []
    assert report.delivered == ["rule-1:2025-03"]
    with duckdb.connect(str(ledger), read_only=True) as con:
        [(url, headers, body)] = con.execute("select url, headers, body from alert_outbox").fetchall()
    assert url == server.url
    headers = json.loads(headers)
    assert headers["Idempotency-Key"] == "rule-1:2025-03"
    assert Receiver(SECRET).verify(headers["Partner-Billing-Signature"], body.encode())
    assert json.loads(body)["value"] == "1250.5"


KILLED_DELIVERY = """
import sys, duckdb
from exports.alerts.webhooks import allowed_hosts, deliver
with duckdb.connect(sys.argv[1]) as con:
    deliver(con, mode="live", secret=sys.argv[2], hosts=allowed_hosts("127.0.0.1"), run_id=sys.argv[3])
"""


def test_a_delivery_killed_mid_batch_and_run_again_delivers_every_event_exactly_once(tmp_path):
    receiver = Receiver(SECRET, delay_seconds=0.15)
    with ReceiverServer(receiver) as server:
        ledger = _ledger(tmp_path / "l.duckdb", [_event(n, server.url) for n in range(1, 11)])
        process = subprocess.Popen([sys.executable, "-c", KILLED_DELIVERY, str(ledger), SECRET, "killed"],
                                   cwd=Path(__file__).resolve().parents[1])
        deadline = time.monotonic() + 60
        while len(receiver.requests) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert 4 <= len(receiver.requests) < 10, "the kill must land mid-batch"
        rerun = subprocess.run([sys.executable, "-c", KILLED_DELIVERY, str(ledger), SECRET, "rerun"],
                               cwd=Path(__file__).resolve().parents[1], check=True)
        assert rerun.returncode == 0
    expected = [f"rule-{n}:2025-03" for n in range(1, 11)]
    assert sorted(receiver.accepted) == sorted(expected)
    # Only the event in flight when the process died can reach the receiver twice, with the same key.
    assert receiver.replays <= 1
    delivered = [row[0] for row in _deliveries(ledger) if row[2] == "delivered"]
    assert sorted(delivered) == sorted(expected)


def test_the_secret_appears_in_no_table_or_file(tmp_path):
    with ReceiverServer(Receiver(SECRET)) as server:
        ledger = _ledger(tmp_path / "l.duckdb", [_event(1, server.url)])
        _deliver(ledger)
        _deliver(ledger, mode="outbox")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("url", ["", None])
def test_an_event_without_a_webhook_is_recorded_and_never_posted(tmp_path, url):
    ledger = _ledger(tmp_path / "l.duckdb", [_event(1, url)])
    report = _deliver(ledger)
    assert report.without_webhook == 1 and report.delivered == [] and report.failed == []
    assert _deliveries(ledger) == []
