"""Driving the fake Stripe: a paid Checkout for a booking's own share, signed webhook deliveries."""

from __future__ import annotations

import json
import time

import stripe

from marketplace.extensions import db
from marketplace.payments import operations as payments
from marketplace.payments.booking_payments import start_booking_payment
from marketplace.payments.models import PaymentMethod
from tests.fakes.stripe_server import WEBHOOK_SECRET

WEBHOOK = "/payments/stripe/webhook"


def stripe_payment(owed):
    """A committed pending Stripe payment for the booking, with its Checkout Session."""
    payment = start_booking_payment(db.session, owed.booking, owed.world.sme_user,
                                    PaymentMethod.STRIPE)
    db.session.commit()
    url = payments.checkout_url(db.session, payment, success_url="http://x/ok",
                                cancel_url="http://x/cancel")
    db.session.commit()
    return payment, url


SIGN = object()  # sign the body sent, now, with the configured secret


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp if timestamp is not None else int(time.time()))


def deliver(client, event: dict | None, *, header=SIGN, body: str | None = None):
    """POST a webhook delivery; ``header=None`` sends no Stripe-Signature header."""
    payload = body if body is not None else json.dumps(event)
    if header is SIGN:
        header = sign(payload)
    headers = {} if header is None else {"Stripe-Signature": header}
    return client.post(WEBHOOK, data=payload.encode(), headers=headers,
                       content_type="application/json")


def paid_events(fake, payment) -> list[dict]:
    """The customer pays: checkout.session.completed (paid)."""
    session = fake.complete_checkout(payment.stripe_checkout_session_id)
    return [fake.event("checkout.session.completed", session)]
