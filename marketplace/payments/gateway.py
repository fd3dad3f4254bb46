"""The one module that talks to Stripe (``import stripe`` happens only here).

Everything leaving this module is plain Python (dicts, str, int): no Stripe object reaches the
rest of the app. Every call that creates something carries an idempotency key derived from our
own record ids (``payment:<id>:checkout:v1``, ``refund:<id>:v1``), so a retry — by the SDK
(``max_network_retries=2``, same key), by a second click, or by ``flask payments retry-refunds``
— creates nothing twice. Stripe API version: the SDK's pinned one (stripe-python 16.1.0,
``2026-10-28.endive``): Checkout takes ``allowed_payment_method_types``, not the removed
``payment_method_types``.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.errors import DomainError

log = logging.getLogger(__name__)

PAYMENT_METHOD_TYPES = ["card", "alipay", "wechat_pay"]
SIGNATURE_TOLERANCE = 300  # seconds: older signed timestamps are refused (replays)
MAX_FUTURE_SKEW = 300  # seconds: the SDK accepts any future timestamp; we do not


class GatewayError(DomainError):
    """Stripe could not be reached or refused the call; nothing of ours changed."""

    status_code = 502
    code = "payment_provider_error"


class NotConfiguredError(DomainError):
    status_code = 503
    code = "payments_not_configured"


class InvalidSignatureError(DomainError):
    """A webhook delivery whose signature does not prove it came from Stripe, recently."""

    status_code = 400
    code = "invalid_signature"


def is_configured() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


_clients: dict[tuple, stripe.StripeClient] = {}


def _client() -> stripe.StripeClient:
    key = current_app.config.get("STRIPE_SECRET_KEY")
    if not key:
        raise NotConfiguredError(_l("Online payment is not available here; please pay by bank "
                                    "transfer."))
    base = current_app.config.get("STRIPE_API_BASE") or None
    timeout = float(current_app.config.get("STRIPE_TIMEOUT") or 20)
    ident = (key, base, timeout)
    if ident not in _clients:
        options = {"base_addresses": {"api": base}} if base else {}
        # a call that gets no answer in time is retried with the same idempotency key
        _clients[ident] = stripe.StripeClient(
            key, max_network_retries=2, http_client=stripe.new_default_http_client(timeout=timeout),
            **options)
    return _clients[ident]


def _plain(obj) -> dict:
    return obj.to_dict(recursive=True) if hasattr(obj, "to_dict") else dict(obj)


def _call(what: str, fn, *args):
    try:
        return _plain(fn(*args))
    except stripe.StripeError as error:
        log.warning("stripe %s failed: %s %s", what, type(error).__name__, error)
        raise GatewayError(_l("The payment service did not answer. Please try again in a "
                              "moment.")) from error


# ---------------------------------------------------------------------------------------------
# Checkout
def create_checkout_session(*, key: str, payment_id: int, amount_fen: int, description: str,
                            reference_code: str, success_url: str, cancel_url: str,
                            customer_email: str | None = None,
                            expires_at: datetime | None = None) -> dict:
    """A Checkout Session in CNY offering card, Alipay and WeChat Pay for one payment."""
    metadata = {"payment_id": str(payment_id), "reference_code": reference_code}
    params = {
        "mode": "payment",
        "currency": "cny",
        "allowed_payment_method_types": PAYMENT_METHOD_TYPES,
        "payment_method_options": {"wechat_pay": {"client": "web"}},
        "line_items": [{"quantity": 1, "price_data": {
            "currency": "cny", "unit_amount": amount_fen,
            "product_data": {"name": description[:200] or reference_code}}}],
        "client_reference_id": str(payment_id),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if customer_email:
        params["customer_email"] = customer_email
    if expires_at is not None:
        params["expires_at"] = int(expires_at.timestamp())
    return _call("checkout.sessions.create", _client().v1.checkout.sessions.create, params,
                 {"idempotency_key": key})


def retrieve_checkout_session(session_id: str) -> dict:
    return _call("checkout.sessions.retrieve", _client().v1.checkout.sessions.retrieve,
                 session_id)


def expire_checkout_session(session_id: str) -> dict:
    return _call("checkout.sessions.expire", _client().v1.checkout.sessions.expire, session_id)


def list_checkout_sessions(created_from: datetime, created_to: datetime) -> list[dict]:
    """Every Checkout Session created in [created_from, created_to) (all pages)."""
    client = _client()
    params = {"created": {"gte": int(created_from.timestamp()),
                          "lt": int(created_to.timestamp())}, "limit": 100}
    sessions = []
    try:
        for item in client.v1.checkout.sessions.list(params).auto_paging_iter():
            sessions.append(_plain(item))
    except stripe.StripeError as error:
        raise GatewayError(_l("The payment service did not answer; try again later.")) from error
    return sessions


def retrieve_payment_intent(payment_intent_id: str) -> dict:
    return _call("payment_intents.retrieve", _client().v1.payment_intents.retrieve,
                 payment_intent_id)


# ---------------------------------------------------------------------------------------------
# refunds
def create_refund(*, key: str, payment_intent: str, amount_fen: int, refund_id: int,
                  payment_id: int) -> dict:
    params = {"payment_intent": payment_intent, "amount": amount_fen,
              "metadata": {"refund_id": str(refund_id), "payment_id": str(payment_id)}}
    return _call("refunds.create", _client().v1.refunds.create, params, {"idempotency_key": key})


def retrieve_refund(stripe_refund_id: str) -> dict:
    return _call("refunds.retrieve", _client().v1.refunds.retrieve, stripe_refund_id)


# ---------------------------------------------------------------------------------------------
# webhooks
def verify_event(payload: bytes, signature_header: str | None, secret: str | None,
                 *, now: float | None = None) -> dict:
    """The event a webhook delivered, once its signature is proven (raw body, our secret, a
    timestamp neither older than ``SIGNATURE_TOLERANCE`` nor further ahead than
    ``MAX_FUTURE_SKEW``); else ``InvalidSignatureError``."""
    if not secret:
        raise NotConfiguredError(_l("The payment webhook is not configured."))
    try:
        stripe.WebhookSignature.verify_header(payload, signature_header, secret,
                                              SIGNATURE_TOLERANCE)
        # verified, so the header has exactly one well-formed t=<unix time>
        timestamp = int(next(part.split("=", 1)[1] for part in signature_header.split(",")
                             if part.startswith("t=")))
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError,
            StopIteration) as error:
        raise InvalidSignatureError(_l("The webhook signature is not valid.")) from error
    if timestamp > (now if now is not None else time.time()) + MAX_FUTURE_SKEW:
        raise InvalidSignatureError(_l("The webhook signature is dated in the future."))
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidSignatureError(_l("The webhook body is not JSON.")) from error
    if (not isinstance(event, dict) or not isinstance(event.get("id"), str)
            or not isinstance(event.get("type"), str)
            or not isinstance((event.get("data") or {}).get("object"), dict)):
        raise InvalidSignatureError(_l("The webhook body is not a Stripe event."))
    return event
