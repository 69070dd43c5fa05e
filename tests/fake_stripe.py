"""A stateful fake of the Stripe API subset the emitter uses, on 127.0.0.1.

Strict: unknown parameters are rejected, with the allowed names taken from the
installed stripe package's own param types. Faithful to idempotency: a replay
returns the first response (even a 500), the same key with other parameters is
an idempotency_error, a key still in flight is a 409, and keys can be expired.
Faults are injected per request: 429 with or without Stripe-Should-Retry, 500
before or after the object is stored, a connection dropped after the object is
stored, a slow answer, or a hang (for kill tests).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import stripe


def _allowed(params_type) -> frozenset[str]:
    return frozenset(params_type.__required_keys__ | params_type.__optional_keys__)


ALLOWED = {
    ("POST", "/v1/customers"): _allowed(stripe.params.CustomerCreateParams),
    ("GET", "/v1/customers"): _allowed(stripe.params.CustomerListParams),
    ("POST", "/v1/invoices"): _allowed(stripe.params.InvoiceCreateParams),
    ("GET", "/v1/invoices"): _allowed(stripe.params.InvoiceListParams),
    ("POST", "/v1/invoiceitems"): _allowed(stripe.params.InvoiceItemCreateParams),
    ("GET", "/v1/invoiceitems"): _allowed(stripe.params.InvoiceItemListParams),
    ("POST", "/v1/invoices/finalize"): _allowed(stripe.params.InvoiceFinalizeInvoiceParams),
}
FAULTS = ("429", "429_should_retry", "500_before", "500_after", "drop_after", "slow", "hang")


def _nest(pairs: list[tuple[str, str]]) -> dict:
    """Form fields like metadata[line_key]=x and period[start]=1 as nested dicts."""
    out: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakeStripe:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.customers: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.items: dict[str, dict] = {}
        self.idempotency: dict[str, tuple[str, int, dict]] = {}
        self.in_flight: set[str] = set()
        self.faults: deque[str] = deque()  # consumed one per POST request
        self.fault_on_paths: dict[str, deque[str]] = {}
        self.requests: list[tuple[str, str, dict, dict]] = []  # method, path, params, headers
        self.counter = 0
        self.hang = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.hang.set()
        self.server.shutdown()
        self.server.server_close()

    def expire_idempotency_keys(self) -> None:
        with self.lock:
            self.idempotency.clear()

    def inject(self, *faults: str, path: str | None = None) -> None:
        assert all(f in FAULTS for f in faults)
        (self.fault_on_paths.setdefault(path, deque()) if path else self.faults).extend(faults)

    def _next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter:06d}"

    # -- the API -------------------------------------------------------------------------
    def _create(self, path: str, params: dict) -> tuple[int, dict]:
        if path == "/v1/customers":
            obj = {"id": self._next_id("cus"), "object": "customer", "name": params.get("name"),
                   "metadata": params.get("metadata", {})}
            self.customers[obj["id"]] = obj
            return 200, obj
        if path == "/v1/invoices":
            if params.get("customer") not in self.customers:
                return 400, {"error": {"type": "invalid_request_error", "message": "No such customer"}}
            obj = {"id": self._next_id("in"), "object": "invoice", "customer": params["customer"],
                   "currency": params.get("currency"), "status": "draft",
                   "auto_advance": params.get("auto_advance") == "true", "metadata": params.get("metadata", {})}
            self.invoices[obj["id"]] = obj
            return 200, obj
        if path == "/v1/invoiceitems":
            invoice = self.invoices.get(params.get("invoice", ""))
            if invoice is None or invoice["status"] != "draft" or invoice["customer"] != params.get("customer"):
                return 400, {"error": {"type": "invalid_request_error", "message": "Invoice is not a draft of this customer"}}
            amount = int(params["amount"])
            if abs(amount) > 99_999_999:
                return 400, {"error": {"type": "invalid_request_error", "message": "Amount must be at most 99,999,999"}}
            obj = {"id": self._next_id("ii"), "object": "invoiceitem", "invoice": invoice["id"],
                   "customer": params["customer"], "amount": amount, "currency": params["currency"],
                   "description": params.get("description"),
                   "period": {k: int(v) for k, v in params.get("period", {}).items()},
                   "metadata": params.get("metadata", {})}
            self.items[obj["id"]] = obj
            return 200, obj
        if path.startswith("/v1/invoices/") and path.endswith("/finalize"):
            invoice = self.invoices.get(path.split("/")[3])
            if invoice is None:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such invoice"}}
            invoice["status"] = "open"
            return 200, invoice
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL {path}"}}

    def _list(self, path: str, params: dict) -> tuple[int, dict]:
        objects = {"/v1/customers": self.customers, "/v1/invoices": self.invoices,
                   "/v1/invoiceitems": self.items}.get(path)
        if objects is None:
            return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL {path}"}}
        data = [o for o in objects.values()
                if all(o.get(k) == params[k] for k in ("customer", "status", "invoice") if k in params)]
        if "starting_after" in params:
            ids = [o["id"] for o in data]
            data = data[ids.index(params["starting_after"]) + 1:]
        limit = int(params.get("limit", 10))
        return 200, {"object": "list", "url": path, "has_more": len(data) > limit, "data": data[:limit]}

    # -- HTTP ----------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _params(self) -> tuple[str, dict]:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                pairs = parse_qsl(split.query, keep_blank_values=True) + parse_qsl(body, keep_blank_values=True)
                return split.path, _nest(pairs)

            def _check(self, method: str, path: str, params: dict) -> str | None:
                key = (method, "/v1/invoices/finalize" if path.endswith("/finalize") else path)
                allowed = ALLOWED.get(key)
                if allowed is None:
                    return None
                unknown = sorted(set(params) - allowed)
                return f"Received unknown parameter: {unknown[0]}" if unknown else None

            def do_GET(self):
                path, params = self._params()
                fake.requests.append(("GET", path, params, dict(self.headers)))
                problem = self._check("GET", path, params)
                if problem:
                    return self._send(400, {"error": {"type": "invalid_request_error", "message": problem}})
                with fake.lock:
                    status, body = fake._list(path, params)
                self._send(status, body)

            def do_POST(self):
                path, params = self._params()
                fake.requests.append(("POST", path, params, dict(self.headers)))
                problem = self._check("POST", path, params)
                if problem:
                    return self._send(400, {"error": {"type": "invalid_request_error", "message": problem}})
                key = self.headers.get("Idempotency-Key")
                fingerprint = json.dumps([path, params], sort_keys=True)
                with fake.lock:
                    queue = fake.fault_on_paths.get(path)
                    fault = queue.popleft() if queue else (fake.faults.popleft() if fake.faults else None)
                    if fault in ("429", "429_should_retry"):
                        headers = {"Stripe-Should-Retry": "true"} if fault == "429_should_retry" else {}
                        return self._send(429, {"error": {"type": "rate_limit_error", "message": "Too many requests"}}, headers)
                    if key in fake.in_flight:
                        return self._send(409, {"error": {"type": "idempotency_error", "message": "Key in use"}})
                    if key and key in fake.idempotency:
                        seen, status, body = fake.idempotency[key]
                        if seen != fingerprint:
                            return self._send(400, {"error": {"type": "idempotency_error",
                                                              "message": "Keys for idempotent requests can only be used with the same parameters"}})
                        return self._send(status, body, {"Idempotent-Replayed": "true"})
                    if key:
                        fake.in_flight.add(key)
                try:
                    if fault == "slow":
                        time.sleep(0.3)
                    if fault == "hang":
                        fake.hang.wait()
                    with fake.lock:
                        if fault == "500_before":
                            status, body = 500, {"error": {"type": "api_error", "message": "Internal error"}}
                        else:
                            status, body = fake._create(path, params)
                            if fault == "500_after":
                                status, body = 500, {"error": {"type": "api_error", "message": "Internal error"}}
                        if key:
                            fake.idempotency[key] = (fingerprint, status, body)
                finally:
                    with fake.lock:
                        fake.in_flight.discard(key)
                if fault == "drop_after":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                headers = {"Stripe-Should-Retry": "false"} if status >= 500 else {}
                return self._send(status, body, headers)

        return Handler
