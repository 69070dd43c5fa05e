from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import date

import duckdb
import pytest
import stripe

from exports.stripe.gateway import LiveGateway, OutboxGateway, RateLimiter
from exports.stripe.ledger import StripeLedger
from exports.stripe.sender import Item, send_unsent
from tests.fake_stripe import FakeStripe

API_KEY = "sk_test_do_not_leak_4242"
JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)


def item(account: str, line_key: str, amount: int, *, kind="partner", period=JAN, currency="eur", part=1, parts=1,
         customer: str | None = None, service=None) -> Item:
    service = service or period
    return Item(period, kind, account, f"Name of {account}", customer, currency, line_key, f"{line_key} text",
                service, date(service.year + service.month // 12, service.month % 12 + 1, 1), part, parts, amount,
                line_key.split(":")[3], None, None)


ITEMS = [
    item("PA", "partner:PA:2025-01:usage:active_users:", 462000),
    item("PA", "partner:PA:2025-01:usage:api_calls:", 365),
    item("PC", "partner:PC:2025-01:usage:active_users:", 99_999_999, currency="usd", part=1, parts=2, customer="cus_landedPC"),
    item("PC", "partner:PC:2025-01:usage:active_users:", 1, currency="usd", part=2, parts=2, customer="cus_landedPC"),
    item("td1", "tenant:td1:2025-01:usage:compute_minutes:", 321, kind="tenant", currency="dkk"),
    item("PA", "partner:PA:2025-02:adjustment:api_calls:2025-01", -52, period=FEB, service=JAN),
]


@pytest.fixture
def fake():
    server = FakeStripe().start()
    server.customers["cus_landedPC"] = {"id": "cus_landedPC", "object": "customer", "metadata": {}}
    yield server
    server.stop()


@pytest.fixture
def ledger_con(tmp_path):
    con = duckdb.connect(str(tmp_path / "ledger.duckdb"))
    yield con
    con.close()


def live(fake: FakeStripe) -> LiveGateway:
    return LiveGateway(API_KEY, fake.url, requests_per_second=1000, base_delay=0.01, max_delay=0.05, max_attempts=4)


def send(fake, ledger_con, items=ITEMS):
    return send_unsent(items, StripeLedger(ledger_con, "live"), live(fake))


def stripe_items(fake) -> Counter:
    return Counter((i["metadata"]["line_key"], int(i["metadata"]["part"]), i["amount"], i["currency"])
                   for i in fake.items.values())


EXPECTED = Counter((i.line_key, i.part, i.amount_minor, i.currency) for i in ITEMS)


def test_live_sending_creates_each_item_once_on_one_draft_invoice_per_account_month_and_currency(fake, ledger_con):
    report = send(fake, ledger_con)
    assert stripe_items(fake) == EXPECTED
    invoices = sorted((i["customer"], i["metadata"]["billing_account"], i["metadata"]["invoice_period"],
                       i["currency"], i["status"], i["auto_advance"]) for i in fake.invoices.values())
    pa = next(c["id"] for c in fake.customers.values() if c["metadata"].get("billing_account") == "partner:PA")
    td1 = next(c["id"] for c in fake.customers.values() if c["metadata"].get("billing_account") == "tenant:td1")
    assert invoices == sorted([
        (pa, "partner:PA", "2025-01", "eur", "draft", False), (pa, "partner:PA", "2025-02", "eur", "draft", False),
        ("cus_landedPC", "partner:PC", "2025-01", "usd", "draft", False), (td1, "tenant:td1", "2025-01", "dkk", "draft", False),
    ])
    adjustment = next(i for i in fake.items.values() if i["amount"] == -52)
    assert adjustment["period"] == {"start": 1735689600, "end": 1738368000}  # January 2025, 00:00 UTC
    assert adjustment["metadata"]["period"] == "2025-01" and adjustment["metadata"]["billing_account_id"] == "PA"
    assert report.items_created == 6 and report.customers_created == 2 and report.invoices_created == 4
    assert dict(report.sent_minor_by_currency) == {"eur": 462000 + 365 - 52, "usd": 100_000_000, "dkk": 321}


def test_a_second_run_creates_nothing(fake, ledger_con):
    send(fake, ledger_con)
    posts = sum(1 for r in fake.requests if r[0] == "POST")
    report = send(fake, ledger_con)
    assert report.items_created == 0 and report.items_already_confirmed == 6
    assert sum(1 for r in fake.requests if r[0] == "POST") == posts
    assert stripe_items(fake) == EXPECTED


def test_idempotency_keys_derive_from_the_line_key(fake, ledger_con):
    send(fake, ledger_con)
    keys = {r[3]["Idempotency-Key"] for r in fake.requests if r[1] == "/v1/invoiceitems" and r[0] == "POST"}
    assert "item:partner:PC:2025-01:usage:active_users::2" in keys and len(keys) == 6


@pytest.mark.parametrize("fault", ["429", "429_should_retry", "drop_after", "slow"])
def test_transient_faults_are_retried_and_still_create_exactly_once(fake, ledger_con, fault):
    fake.inject(fault, fault, path="/v1/invoiceitems")
    fake.inject(fault, path="/v1/invoices")
    send(fake, ledger_con)
    assert stripe_items(fake) == EXPECTED


def _item_keys(fake) -> list[str]:
    return [r[3]["Idempotency-Key"] for r in fake.requests if r[0] == "POST" and r[1] == "/v1/invoiceitems"]


def test_a_500_stored_before_the_item_existed_is_sent_under_a_new_key_in_the_same_run(fake, ledger_con):
    fake.inject("500_before", path="/v1/invoiceitems")
    report = send(fake, ledger_con)
    assert stripe_items(fake) == EXPECTED
    assert report.failed == [] and report.items_created == 6
    first = "item:partner:PA:2025-01:usage:active_users::1"
    assert _item_keys(fake)[:2] == [first, f"{first}:g1"]
    assert ledger_con.execute("select idempotency_key, generation from stripe_key_generations").fetchall() == [
        (first, 1)]


def test_a_500_stored_after_the_item_was_made_finds_the_item_and_makes_no_second_one(fake, ledger_con):
    fake.inject("500_after", path="/v1/invoiceitems")
    report = send(fake, ledger_con)
    assert stripe_items(fake) == EXPECTED
    assert report.failed == [] and report.items_found_existing == 1 and report.items_created == 5
    assert not any(key.endswith(":g1") for key in _item_keys(fake))


def test_a_line_stripe_keeps_refusing_is_reported_the_others_are_sent_and_the_next_run_sends_it(fake, ledger_con):
    fake.inject("500_before", "500_before", path="/v1/invoiceitems")
    report = send(fake, ledger_con)
    refused = ("partner:PA:2025-01:usage:active_users:", 1)
    assert [(line_key, part) for line_key, part, _ in report.failed] == [refused]
    assert "500" in report.failed[0][2]
    assert stripe_items(fake) == EXPECTED - Counter({(*refused, 462000, "eur"): 1})
    # The server has recovered; no key has expired: the spent keys are not sent again.
    again = send(fake, ledger_con)
    assert again.failed == [] and again.items_created == 1
    assert stripe_items(fake) == EXPECTED
    assert _item_keys(fake)[-1] == "item:partner:PA:2025-01:usage:active_users::1:g2"


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/invoices"])
def test_a_500_stored_for_a_customer_or_an_invoice_is_recovered_the_same_way(fake, ledger_con, path):
    fake.inject("500_after", "500_before", path=path)
    report = send(fake, ledger_con)
    assert report.failed == []
    assert stripe_items(fake) == EXPECTED
    owners = Counter(c["metadata"].get("billing_account") for c in fake.customers.values())
    assert owners == Counter({"partner:PA": 1, "tenant:td1": 1, None: 1})
    drafts = Counter((i["metadata"]["billing_account"], i["metadata"]["invoice_period"]) for i in fake.invoices.values())
    assert set(drafts.values()) == {1}


def test_an_object_stored_before_a_crash_is_found_by_a_list_call_after_the_keys_expired(fake, ledger_con):
    class Crash(Exception):
        pass

    gateway = live(fake)
    created = gateway.create_invoice_item
    calls = {"n": 0}

    def crash_after_storing(params, key):
        item_id = created(params, key)
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash  # Stripe stored it; the ledger never heard of it
        return item_id

    gateway.create_invoice_item = crash_after_storing
    with pytest.raises(Crash):
        send_unsent(ITEMS, StripeLedger(ledger_con, "live"), gateway)
    fake.expire_idempotency_keys()
    report = send(fake, ledger_con)
    # The first item was recorded when the error unwound; the second was stored but not recorded.
    assert report.items_found_existing == 1
    assert stripe_items(fake) == EXPECTED


@pytest.mark.parametrize("expire_keys", [False, True])
def test_a_killed_sender_is_rerun_without_duplicates(fake, tmp_path, expire_keys):
    ledger_path = tmp_path / "ledger.duckdb"
    items_json = json.dumps([[v.isoformat() if isinstance(v, date) else v for v in i.__dict__.values()] for i in ITEMS])
    fake.inject("slow", "slow", "hang", path="/v1/invoiceitems")
    script = textwrap.dedent(f"""
        import json, duckdb
        from datetime import date
        from exports.stripe.gateway import LiveGateway
        from exports.stripe.ledger import StripeLedger
        from exports.stripe.sender import Item, send_unsent
        rows = json.loads({items_json!r})
        items = [Item(*[date.fromisoformat(v) if isinstance(v, str) and len(v) == 10 and v[4] == '-' else v for v in r]) for r in rows]
        con = duckdb.connect({str(ledger_path)!r})
        send_unsent(items, StripeLedger(con, 'live'), LiveGateway({API_KEY!r}, {fake.url!r}))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    import time
    deadline = time.time() + 30
    while time.time() < deadline and len(fake.items) < 2:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.kill()
    proc.wait()
    fake.hang.set()  # Stripe finishes the request the dead client was waiting for
    time.sleep(0.2)
    if expire_keys:
        fake.expire_idempotency_keys()
    with duckdb.connect(str(ledger_path)) as con:
        send(fake, con)
        assert con.execute("select count(*) from stripe_invoice_items").fetchone() == (6,)
    assert stripe_items(fake) == EXPECTED


def test_outbox_mode_records_the_exact_requests_with_symbolic_invoices_and_no_network(ledger_con):
    ledger = StripeLedger(ledger_con, "outbox")
    report = send_unsent(ITEMS, ledger, OutboxGateway(ledger, "run-1"))
    rows = ledger_con.execute("select path, idempotency_key, params from stripe_outbox order by seq").fetchall()
    paths = Counter(p for p, _, _ in rows)
    assert paths == {"/v1/customers": 2, "/v1/invoices": 4, "/v1/invoiceitems": 6}
    first_item = next(json.loads(p) for path, _, p in rows if path == "/v1/invoiceitems")
    assert first_item == {
        "amount": 462000, "currency": "eur", "customer": "{{customer:partner:PA}}",
        "description": "partner:PA:2025-01:usage:active_users: text",
        "invoice": "{{invoice:partner:PA:2025-01:eur}}",
        "metadata": {"billing_account_id": "PA", "line_key": "partner:PA:2025-01:usage:active_users:",
                     "part": "1", "period": "2025-01"},
        "period": {"end": 1738368000, "start": 1735689600},
    }
    assert report.items_created == 6
    assert send_unsent(ITEMS, ledger, OutboxGateway(ledger, "run-2")).items_created == 0


def test_months_sent_to_the_outbox_are_still_sent_when_the_job_later_runs_live(fake, ledger_con):
    outbox = StripeLedger(ledger_con, "outbox")
    send_unsent(ITEMS, outbox, OutboxGateway(outbox, "run-1"))
    send(fake, ledger_con)
    assert stripe_items(fake) == EXPECTED


def test_the_api_key_never_appears_in_output_ledger_or_errors(fake, ledger_con, capfd, caplog):
    fake.inject("500_before", "500_before", path="/v1/invoiceitems")
    refused = send(fake, ledger_con).failed
    send(fake, ledger_con)
    captured = capfd.readouterr()
    dumped = json.dumps([ledger_con.execute(f"select * from {table}").fetchall()
                         for table in ("stripe_invoice_items", "stripe_key_generations", "stripe_customers")], default=str)
    assert refused
    for text in (captured.out, captured.err, caplog.text, dumped, json.dumps(refused)):
        assert API_KEY not in text
    assert all(r[3].get("Authorization") == f"Bearer {API_KEY}" for r in fake.requests)  # it was sent, only to Stripe


def test_the_fake_rejects_unknown_parameters_and_reused_keys_with_other_parameters(fake):
    client = stripe.StripeClient(API_KEY, base_addresses={"api": fake.url})
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: colour"):
        client.v1.customers.create(params={"colour": "blue"})
    client.v1.customers.create(params={"name": "a"}, options={"idempotency_key": "k1"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"name": "b"}, options={"idempotency_key": "k1"})


def test_the_rate_limiter_spaces_calls_evenly():
    now = {"t": 0.0}
    slept = []
    limiter = RateLimiter(25, clock=lambda: now["t"], sleep=lambda s: (slept.append(round(s, 6)), now.update(t=now["t"] + s)))
    for _ in range(4):
        limiter.wait()
    assert slept == [0.04, 0.04, 0.04]
