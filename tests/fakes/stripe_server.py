"""A small local stand-in for Stripe's API, at the network edge: the real stripe-python SDK talks
to it over HTTP on 127.0.0.1 (``STRIPE_API_BASE``). It answers only what the app calls:

* ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/<id>``,
  ``POST /v1/checkout/sessions/<id>/expire``, ``GET /v1/checkout/sessions?created[gte]=…``
* ``GET /v1/payment_intents/<id>``
* ``POST /v1/refunds``, ``GET /v1/refunds/<id>``

POSTs are stored by ``Idempotency-Key`` as Stripe does: the same key with the same body replays
the first answer; the same key with another body is a 400 ``idempotency_error``. Scenario
switches: ``fail_next(n)`` (500 before doing anything, so a retry may succeed),
``lose_next_replies(n)`` (do the work, store it, then drop the connection without answering),
``answer_late(n, seconds)`` (do the work, store it, answer after the client's timeout),
``refund_mode`` (``"succeeded"``, ``"pending"`` — then ``settle_refund`` —, ``"failed"``).
The test side drives customers (``complete_checkout``) and builds events signed for real with
``stripe.WebhookSignature.generate_signature_header``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import stripe

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"  # what the tests' app verifies webhooks with


def decode_form(body: str) -> dict:
    """Stripe's form encoding (``a[b][0][c]=x``) back into nested dicts and lists."""
    root: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node):
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


class FakeStripe:
    def __init__(self):
        self.lock = threading.RLock()
        self.reset()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.sessions: dict[str, dict] = {}
            self.intents: dict[str, dict] = {}
            self.refunds: dict[str, dict] = {}
            self.idempotent: dict[str, tuple[str, str, int, dict]] = {}
            self.calls: list[tuple[str, str, str | None]] = []  # method, path, idempotency key
            self.created_by_key: Counter = Counter()  # objects created per idempotency key
            self.failures_left = 0
            self.lost_replies_left = 0
            self.slow_replies_left = 0
            self.slow_seconds = 0.0
            self.refund_mode = "succeeded"
            self.clock: int | None = None  # unix time of created objects (None: now)
            self.counter = 0

    # --- scenario switches --------------------------------------------------------------------
    def fail_next(self, n: int = 1) -> None:
        with self.lock:
            self.failures_left = n

    def lose_next_replies(self, n: int = 1) -> None:
        with self.lock:
            self.lost_replies_left = n

    def answer_late(self, n: int = 1, seconds: float = 1.5) -> None:
        """Do the work, store it, and answer only after ``seconds`` (past the client's timeout)."""
        with self.lock:
            self.slow_replies_left, self.slow_seconds = n, seconds

    def _late(self) -> float:
        with self.lock:
            if self.slow_replies_left > 0:
                self.slow_replies_left -= 1
                return self.slow_seconds
            return 0.0

    def now(self) -> int:
        return self.clock if self.clock is not None else int(time.time())

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_test_{self.counter:06d}{int(time.time() * 1000) % 100000:05d}"

    # --- the customer side (tests) -------------------------------------------------------------
    def complete_checkout(self, session_id: str, *, paid: bool = True) -> dict:
        """The customer finished the Checkout page: paid now (card, Alipay, WeChat Pay) or
        later (a delayed method: ``paid=False``). Returns the session."""
        with self.lock:
            session = self.sessions[session_id]
            intent_id = session["payment_intent"] or self._id("pi")
            session["payment_intent"] = intent_id
            session["status"] = "complete"
            session["payment_status"] = "paid" if paid else "unpaid"
            self.intents[intent_id] = {
                "id": intent_id, "object": "payment_intent", "amount": session["amount_total"],
                "amount_received": session["amount_total"] if paid else 0, "currency": "cny",
                "status": "succeeded" if paid else "processing",
                "metadata": dict(session["metadata"]), "latest_charge": self._id("ch"),
                "created": self.now(), "last_payment_error": None}
            return json.loads(json.dumps(session))

    def settle_async(self, session_id: str, *, paid: bool) -> dict:
        with self.lock:
            session = self.sessions[session_id]
            session["payment_status"] = "paid" if paid else "unpaid"
            intent = self.intents[session["payment_intent"]]
            intent["status"] = "succeeded" if paid else "requires_payment_method"
            if paid:
                intent["amount_received"] = intent["amount"]
            else:
                intent["last_payment_error"] = {"message": "The bank declined the payment."}
            return json.loads(json.dumps(session))

    def expire(self, session_id: str) -> dict:
        with self.lock:
            session = self.sessions[session_id]
            session["status"] = "expired"
            return json.loads(json.dumps(session))

    def settle_refund(self, refund_id: str, status: str = "succeeded") -> dict:
        with self.lock:
            refund = self.refunds[refund_id]
            refund["status"] = status
            if status == "failed":
                refund["failure_reason"] = "expired_or_canceled_card"
            return json.loads(json.dumps(refund))

    def charge_of(self, refund: dict) -> dict:
        intent = self.intents[refund["payment_intent"]]
        refunded = sum(r["amount"] for r in self.refunds.values()
                       if r["payment_intent"] == intent["id"] and r["status"] == "succeeded")
        return {"id": intent["latest_charge"], "object": "charge", "amount": intent["amount"],
                "amount_refunded": refunded, "payment_intent": intent["id"],
                "refunded": refunded == intent["amount"], "currency": "cny"}

    def event(self, kind: str, obj: dict, *, event_id: str | None = None) -> dict:
        return {"id": event_id or self._id("evt"), "object": "event", "type": kind,
                "api_version": stripe.api_version, "created": self.now(), "livemode": False,
                "data": {"object": json.loads(json.dumps(obj))}, "pending_webhooks": 1}

    @staticmethod
    def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
        return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)

    # --- the API ------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, body: dict, key: str | None):
        """(status, response dict, lose_reply)."""
        with self.lock:
            self.calls.append((method, path, key))
            if self.failures_left > 0:
                self.failures_left -= 1
                return 500, _error("api_error", "Injected failure"), False
            raw = json.dumps(body, sort_keys=True)
            if method == "POST" and key and key in self.idempotent:
                stored_path, stored_body, status, response = self.idempotent[key]
                if (stored_path, stored_body) != (path, raw):
                    return 400, _error("idempotency_error",
                                       "Keys for idempotent requests can only be used with the "
                                       "same parameters they were first used with."), False
                return status, response, self._lose()
            status, response = self._route(method, path, query, body)
            if method == "POST" and key:
                self.idempotent[key] = (path, raw, status, response)
                if status == 200 and path in ("/v1/checkout/sessions", "/v1/refunds"):
                    self.created_by_key[key] += 1
            return status, response, self._lose()

    def _lose(self) -> bool:
        if self.lost_replies_left > 0:
            self.lost_replies_left -= 1
            return True
        return False

    def _route(self, method, path, query, body):
        parts = path.strip("/").split("/")
        if parts[:3] == ["v1", "checkout", "sessions"]:
            if method == "POST" and len(parts) == 3:
                return self._create_session(body)
            if method == "GET" and len(parts) == 3:
                return self._list_sessions(query)
            session = self.sessions.get(parts[3]) if len(parts) > 3 else None
            if session is None:
                return 404, _error("invalid_request_error", "No such checkout.session",
                                   "resource_missing")
            if method == "GET" and len(parts) == 4:
                return 200, session
            if method == "POST" and parts[4:] == ["expire"]:
                if session["status"] != "open":
                    return 400, _error("invalid_request_error", "Session is not open")
                session["status"] = "expired"
                return 200, session
        if parts[:2] == ["v1", "payment_intents"] and method == "GET" and len(parts) == 3:
            intent = self.intents.get(parts[2])
            return (200, intent) if intent else (404, _error("invalid_request_error",
                                                              "No such payment_intent",
                                                              "resource_missing"))
        if parts[:2] == ["v1", "refunds"]:
            if method == "POST" and len(parts) == 2:
                return self._create_refund(body)
            if method == "GET" and len(parts) == 3:
                refund = self.refunds.get(parts[2])
                return (200, refund) if refund else (404, _error("invalid_request_error",
                                                                  "No such refund",
                                                                  "resource_missing"))
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method} {path})")

    def _create_session(self, body):
        if "payment_method_types" in body:
            return 400, _error("invalid_request_error",
                               "Received unknown parameter: payment_method_types")
        items = body.get("line_items") or []
        try:
            amount = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1))
                         for i in items)
        except (KeyError, TypeError, ValueError):
            return 400, _error("invalid_request_error", "line_items need price_data")
        if body.get("currency") != "cny" or body.get("mode") != "payment" or amount <= 0:
            return 400, _error("invalid_request_error", "bad checkout parameters")
        sid = self._id("cs")
        session = {
            "id": sid, "object": "checkout.session", "mode": "payment", "status": "open",
            "payment_status": "unpaid", "amount_total": amount, "currency": "cny",
            "client_reference_id": body.get("client_reference_id"),
            "metadata": body.get("metadata") or {}, "payment_intent": None,
            "allowed_payment_method_types": body.get("allowed_payment_method_types"),
            "payment_method_options": body.get("payment_method_options"),
            "success_url": body.get("success_url"), "cancel_url": body.get("cancel_url"),
            "url": f"https://checkout.stripe.test/c/pay/{sid}", "created": self.now(),
            "expires_at": int(body.get("expires_at") or self.now() + 86400),
            "customer_email": body.get("customer_email"), "livemode": False}
        self.sessions[sid] = session
        return 200, session

    def _list_sessions(self, query):
        gte = int(query.get("created[gte]", 0))
        lt = int(query.get("created[lt]", 2**62))
        limit = int(query.get("limit", 10))
        after = query.get("starting_after")
        found = sorted((s for s in self.sessions.values() if gte <= s["created"] < lt),
                       key=lambda s: s["id"])
        if after:
            found = [s for s in found if s["id"] > after]
        return 200, {"object": "list", "url": "/v1/checkout/sessions", "data": found[:limit],
                     "has_more": len(found) > limit}

    def _create_refund(self, body):
        intent = self.intents.get(body.get("payment_intent") or "")
        if intent is None:
            return 400, _error("invalid_request_error", "No such payment_intent",
                               "resource_missing")
        amount = int(body.get("amount") or intent["amount"])
        refunded = sum(r["amount"] for r in self.refunds.values()
                       if r["payment_intent"] == intent["id"] and r["status"] != "failed")
        if amount > intent["amount_received"] - refunded:
            return 400, _error("invalid_request_error", "Refund exceeds the charge",
                               "charge_already_refunded")
        rid = self._id("re")
        status = {"succeeded": "succeeded", "pending": "pending", "failed": "pending"}[
            self.refund_mode]
        refund = {"id": rid, "object": "refund", "amount": amount, "currency": "cny",
                  "payment_intent": intent["id"], "charge": intent["latest_charge"],
                  "status": status, "metadata": body.get("metadata") or {},
                  "failure_reason": None, "created": self.now()}
        self.refunds[rid] = refund
        return 200, refund


def _error(kind: str, message: str, code: str | None = None) -> dict:
    error = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return {"error": error}


def _handler(fake: FakeStripe):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _serve(self, method: str):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            body = decode_form(raw) if method == "POST" else {}
            status, response, lose = fake.handle(method, parts.path, query, body,
                                                 self.headers.get("Idempotency-Key"))
            if lose:  # the work is done and stored; the reply never arrives
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass
                return
            if delay := fake._late():  # the client has given up by now
                time.sleep(delay)
            payload = json.dumps(response).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", f"req_{fake.counter}")
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

    return Handler
