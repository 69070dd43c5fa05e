"""A real local HTTP server receiving alert webhooks, for the delivery tests.

It verifies each request's signature with the secret, keeps each event once
by its Idempotency-Key (as a receiver should: a repeated key is answered 200
and counted as a replay), and can be told to misbehave for the next requests:
answer 500 or 429 with Retry-After, drop the connection, hang, or redirect.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    key: str
    body: dict
    signature_valid: bool


@dataclass
class Receiver:
    secret: str
    delay_seconds: float = 0.0
    faults: deque = field(default_factory=deque)
    requests: list[Received] = field(default_factory=list)
    accepted: dict[str, dict] = field(default_factory=dict)
    replays: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, header: str, body: bytes) -> bool:
        parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        expected = hmac.new(self.secret.encode(), f"{parts.get('t', '')}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts.get("v1", ""))


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # the test output stays quiet
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key", "")
            with receiver.lock:
                receiver.requests.append(Received(key, json.loads(body or b"{}"),
                                                  receiver.verify(self.headers.get("Partner-Billing-Signature", ""), body)))
                fault = receiver.faults.popleft() if receiver.faults else None
            if fault == "drop":
                self.connection.shutdown(2)
                return
            if fault and fault.startswith("hang"):
                time.sleep(float(fault.split(":")[1]))
            if fault in ("500", "400"):
                self._answer(int(fault))
                return
            if fault and fault.startswith("429"):
                self._answer(429, {"Retry-After": fault.split(":")[1]})
                return
            if fault and fault.startswith("redirect"):
                self._answer(302, {"Location": fault.split("->", 1)[1]})
                return
            time.sleep(receiver.delay_seconds)
            with receiver.lock:
                if key in receiver.accepted:
                    receiver.replays += 1
                else:
                    receiver.accepted[key] = json.loads(body)
            self._answer(200)

        def _answer(self, status: int, headers: dict | None = None):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


class ReceiverServer:
    def __init__(self, receiver: Receiver):
        self.receiver = receiver
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> ReceiverServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
