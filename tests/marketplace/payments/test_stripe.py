"""Stripe Checkout against the fake Stripe server: the session we create, fulfilment from the
webhook only, failures that never undo a payment, refunds settled only when Stripe confirms."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from marketplace.errors import InvalidStateError
from marketplace.extensions import db
from marketplace.payments import accounts
from marketplace.payments import operations as payments
from marketplace.payments.models import Payment, PaymentStatus, RefundStatus, StripeEvent
from tests.marketplace.payments.helpers import assert_ledger_balanced, balance, completed_booking
from tests.marketplace.payments.stripe_helpers import deliver, stripe_payment


def test_checkout_session_is_created_once_in_cny_with_wallets(stripe_fake, client):
    owed = completed_booking()
    payment, url = stripe_payment(owed)
    again = payments.checkout_url(db.session, payment, success_url="http://x/ok",
                                  cancel_url="http://x/cancel")
    assert again == url
    assert len(stripe_fake.sessions) == 1
    session = stripe_fake.sessions[payment.stripe_checkout_session_id]
    assert session["currency"] == "cny" and session["amount_total"] == 120_000
    assert session["allowed_payment_method_types"] == ["card", "alipay", "wechat_pay"]
    assert session["payment_method_options"] == {"wechat_pay": {"client": "web"}}
    assert session["metadata"]["payment_id"] == str(payment.id)
    keys = {key for method, path, key in stripe_fake.calls if method == "POST"}
    assert keys == {f"payment:{payment.id}:checkout:v1"}
    assert payment.status == PaymentStatus.PENDING  # nothing from the redirect


def test_webhook_pays_once_and_the_booking_is_received(stripe_fake, client):
    owed = completed_booking()
    payment, _url = stripe_payment(owed)
    session = stripe_fake.complete_checkout(payment.stripe_checkout_session_id)
    event = stripe_fake.event("checkout.session.completed", session)
    first = deliver(client, event)
    assert first.status_code == 200 and first.json["outcome"] == "paid"
    second = deliver(client, event)
    assert second.status_code == 200 and second.json["outcome"] == "duplicate"
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert payment.status == PaymentStatus.PAID
    assert payment.stripe_payment_intent_id == session["payment_intent"]
    assert balance(accounts.payable(owed.world.lab.id)) == 120_000
    assert balance(accounts.CLEARING_STRIPE) == -120_000
    assert owed.booking.self_paid_received_at is not None
    # a late failure of an earlier attempt changes nothing
    intent = dict(stripe_fake.intents[session["payment_intent"]], status="requires_payment_method")
    late = deliver(client, stripe_fake.event("payment_intent.payment_failed", intent))
    assert late.status_code == 200
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.PAID
    assert_ledger_balanced()


def test_async_payment_waits_then_succeeds_or_fails(stripe_fake, client):
    owed = completed_booking()
    payment, _url = stripe_payment(owed)
    unpaid = stripe_fake.complete_checkout(payment.stripe_checkout_session_id, paid=False)
    assert deliver(client, stripe_fake.event("checkout.session.completed",
                                             unpaid)).json["outcome"] == "awaiting_payment"
    failed = stripe_fake.settle_async(payment.stripe_checkout_session_id, paid=False)
    assert deliver(client, stripe_fake.event("checkout.session.async_payment_failed",
                                             failed)).json["outcome"] == "failed"
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.FAILED
    assert balance(accounts.CLEARING_STRIPE) == 0

    other = completed_booking(owed.world, day=2)
    second, _url = stripe_payment(other)
    stripe_fake.complete_checkout(second.stripe_checkout_session_id, paid=False)
    paid = stripe_fake.settle_async(second.stripe_checkout_session_id, paid=True)
    assert deliver(client, stripe_fake.event("checkout.session.async_payment_succeeded",
                                             paid)).json["outcome"] == "paid"
    db.session.expire_all()
    assert db.session.get(Payment, second.id).status == PaymentStatus.PAID


def test_unknown_event_types_are_logged_and_answered(stripe_fake, client, caplog):
    caplog.set_level(logging.INFO, logger="marketplace.payments")
    response = deliver(client, stripe_fake.event("customer.created", {"id": "cus_1",
                                                                      "object": "customer"}))
    assert response.status_code == 200 and response.json["outcome"] == "ignored"
    assert "customer.created" in caplog.text
    assert db.session.scalar(sa.select(sa.func.count(StripeEvent.id))) == 1


def test_webhook_without_a_secret_is_refused_with_a_message(app, stripe_fake, client):
    app.config["STRIPE_WEBHOOK_SECRET"] = None
    response = deliver(client, stripe_fake.event("customer.created", {"id": "x"}))
    assert response.status_code == 400
    assert "not configured" in response.json["error"]["message"]


def test_stripe_refund_is_settled_only_when_stripe_confirms(stripe_fake, client):
    owed = completed_booking()
    payable = accounts.payable(owed.world.lab.id)
    payment, _url = stripe_payment(owed)
    deliver(client, stripe_fake.event("checkout.session.completed",
                                      stripe_fake.complete_checkout(payment.stripe_checkout_session_id)))
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)

    stripe_fake.refund_mode = "pending"
    refund = payments.refund_payment(db.session, payment, key="test:refund", reason="mistake",
                                     amount_fen=50_000)
    db.session.commit()  # the refund call goes out after commit
    db.session.expire_all()
    assert refund.stripe_refund_id in stripe_fake.refunds
    assert refund.status == RefundStatus.PENDING
    assert balance(accounts.REFUNDS_DUE) == 50_000 and balance(payable) == 70_000
    assert balance(accounts.CLEARING_STRIPE) == -120_000

    settled = stripe_fake.settle_refund(refund.stripe_refund_id)
    charge = stripe_fake.charge_of(settled)
    for _ in range(2):  # the charge event re-reads the refund from Stripe; twice changes nothing
        assert deliver(client, stripe_fake.event("charge.refunded", charge)).status_code == 200
    deliver(client, stripe_fake.event("refund.updated", settled))
    db.session.expire_all()
    assert refund.status == RefundStatus.SUCCEEDED
    assert balance(accounts.REFUNDS_DUE) == 0
    assert balance(accounts.CLEARING_STRIPE) == -70_000
    assert payment.refunded_fen == 50_000 and payment.status == PaymentStatus.PAID

    stripe_fake.refund_mode = "succeeded"  # the rest, confirmed at once by Stripe's answer
    rest = payments.refund_payment(db.session, payment, key="test:refund:2", reason="rest")
    db.session.commit()
    db.session.expire_all()
    assert rest.status == RefundStatus.SUCCEEDED and payment.status == PaymentStatus.REFUNDED
    assert balance(accounts.CLEARING_STRIPE) == 0 and balance(payable) == 0
    assert owed.booking.self_paid_received_at is None
    assert_ledger_balanced()


def test_a_failed_stripe_refund_is_reversed_and_can_be_asked_again(stripe_fake, client):
    owed = completed_booking()
    payable = accounts.payable(owed.world.lab.id)
    payment, _url = stripe_payment(owed)
    deliver(client, stripe_fake.event("checkout.session.completed",
                                      stripe_fake.complete_checkout(payment.stripe_checkout_session_id)))
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    stripe_fake.refund_mode = "failed"
    refund = payments.refund_payment(db.session, payment, key="test:refund", reason="x")
    db.session.commit()
    db.session.expire_all()
    failed = stripe_fake.settle_refund(refund.stripe_refund_id, "failed")
    assert deliver(client, stripe_fake.event("refund.failed", failed)).status_code == 200
    db.session.expire_all()
    assert refund.status == RefundStatus.FAILED
    assert balance(accounts.REFUNDS_DUE) == 0 and balance(payable) == 120_000
    assert payment.refundable_fen == 120_000
    assert_ledger_balanced()


def test_payment_that_arrives_after_cancellation_is_refunded_automatically(stripe_fake, client):
    owed = completed_booking()
    payment, _url = stripe_payment(owed)
    payments.cancel_payment(db.session, payment, reason="paid another way")
    db.session.commit()
    session = stripe_fake.complete_checkout(payment.stripe_checkout_session_id)
    assert deliver(client, stripe_fake.event("checkout.session.completed",
                                             session)).status_code == 200
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert payment.status == PaymentStatus.REFUNDED  # the fake confirms refunds at once
    assert [r.notify_purpose for r in payment.refunds] == [False]
    assert balance(accounts.payable(owed.world.lab.id)) == 0
    assert balance(accounts.CLEARING_STRIPE) == 0 and balance(accounts.REFUNDS_DUE) == 0
    assert owed.booking.self_paid_received_at is None
    assert_ledger_balanced()


def test_expired_checkout_cancels_the_pending_payment(stripe_fake, client):
    owed = completed_booking()
    payment, _url = stripe_payment(owed)
    expired = stripe_fake.expire(payment.stripe_checkout_session_id)
    assert deliver(client, stripe_fake.event("checkout.session.expired",
                                             expired)).json["outcome"] == "cancelled"
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert payment.status == PaymentStatus.CANCELLED
    with pytest.raises(InvalidStateError):
        payments.checkout_url(db.session, payment, success_url="http://x", cancel_url="http://x")


def test_concurrent_duplicate_deliveries_credit_once(app, stripe_fake, client):
    """Stripe delivers the same event four times at once (at-least-once delivery): one credit."""
    from tests.marketplace.bookings.concurrency import run_in_threads

    owed = completed_booking()
    payment, _url = stripe_payment(owed)
    event = stripe_fake.event("checkout.session.completed",
                              stripe_fake.complete_checkout(payment.stripe_checkout_session_id))
    outcomes = run_in_threads(app, 4, lambda i: deliver(app.test_client(), event).json["outcome"])
    assert [o.error for o in outcomes] == [None] * 4
    assert sorted(o.value for o in outcomes) == ["duplicate"] * 3 + ["paid"]
    assert balance(accounts.payable(owed.world.lab.id)) == 120_000
    assert_ledger_balanced()
    print("concurrent duplicate deliveries: 4 at once → paid 1, duplicate 3; credits 1")
