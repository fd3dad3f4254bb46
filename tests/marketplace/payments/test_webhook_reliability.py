"""P1–P3 of RELIABILITY §3.6 on the fake Stripe server, each printing its figures."""

from __future__ import annotations

import json
import random
import time

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.ledger.models import LedgerTransfer
from marketplace.payments import accounts
from marketplace.payments import operations as payments
from marketplace.payments.models import Payment, PaymentStatus, Refund, RefundStatus, StripeEvent
from tests.fakes.stripe_server import WEBHOOK_SECRET
from tests.marketplace.payments.helpers import assert_ledger_balanced, balance, completed_booking
from tests.marketplace.payments.stripe_helpers import deliver, sign, stripe_payment


def _effects() -> tuple:
    """Everything a delivery could change: events recorded, ledger transfers, payment states."""
    db.session.expire_all()
    return (db.session.scalar(sa.select(sa.func.count(StripeEvent.id))),
            db.session.scalar(sa.select(sa.func.count(LedgerTransfer.id))),
            tuple(db.session.execute(sa.select(Payment.id, Payment.status, Payment.refunded_fen)
                                     .order_by(Payment.id)).all()))


def test_p1_webhook_signature_matrix(stripe_fake, client):
    owed = completed_booking()
    payment, _url = stripe_payment(owed)
    session = stripe_fake.complete_checkout(payment.stripe_checkout_session_id)
    event = stripe_fake.event("checkout.session.completed", session)
    body = json.dumps(event)
    now = int(time.time())
    tampered = body.replace('"amount_total": 120000', '"amount_total": 1')
    invalid = [
        ("tampered body", dict(body=tampered, header=sign(body))),
        ("wrong secret", dict(body=body, header=sign(body, secret="whsec_someone_else"))),
        ("missing header", dict(body=body, header=None)),
        ("malformed header", dict(body=body, header="t=abc,v1")),
        ("stale > 300 s", dict(body=body, header=sign(body, timestamp=now - 301))),
        ("future beyond our bound", dict(body=body, header=sign(body, timestamp=now + 3600))),
        ("not UTF-8", dict(body=None, header=None)),
    ]
    rows, effects_from_invalid = [], 0
    for name, case in invalid:
        before = _effects()
        if case["body"] is None:
            raw = b"\xff\xfe" + body.encode()
            response = client.post("/payments/stripe/webhook", data=raw, content_type="application/json",
                                   headers={"Stripe-Signature": sign(body)})
        else:
            response = deliver(client, None, body=case["body"], header=case["header"])
        assert response.status_code == 400, name
        assert response.json["error"]["message"]
        effects_from_invalid += _effects() != before
        rows.append((name, response.status_code))
    valid = deliver(client, None, body=body, header=sign(body))
    rows.append(("valid", valid.status_code))
    after_valid = _effects()
    replay = deliver(client, None, body=body, header=sign(body))
    rows.append(("replay of the same valid event", replay.status_code))
    assert valid.status_code == 200 and valid.json["outcome"] == "paid"
    assert replay.status_code == 200 and replay.json["outcome"] == "duplicate"
    effects_from_invalid += _effects() != after_valid
    assert effects_from_invalid == 0
    print("P1 webhook signature matrix: " + "; ".join(f"{n} → {s}" for n, s in rows))
    print(f"P1 {len(rows)} cases; business effects from invalid deliveries: {effects_from_invalid}")


def _scripted_events(fake, world, n_paid=3):
    """A script of deliveries: n_paid paid bookings (one refunded in two parts, one refunded in
    full), one async failure, one expiry; returns (events, refund settling steps)."""
    events = []
    owed_list = [completed_booking(world, day=d + 1) for d in range(n_paid + 2)]
    paid = []
    for owed in owed_list[:n_paid]:
        payment, _url = stripe_payment(owed)
        session = fake.complete_checkout(payment.stripe_checkout_session_id)
        events.append(fake.event("checkout.session.completed", session))
        paid.append(payment)
    failing, _url = stripe_payment(owed_list[n_paid])
    fake.complete_checkout(failing.stripe_checkout_session_id, paid=False)
    events.append(fake.event("checkout.session.async_payment_failed",
                             fake.settle_async(failing.stripe_checkout_session_id, paid=False)))
    expiring, _url = stripe_payment(owed_list[n_paid + 1])
    events.append(fake.event("checkout.session.expired",
                             fake.expire(expiring.stripe_checkout_session_id)))
    return events, paid


def _final_states():
    db.session.expire_all()
    # by position, not id: PostgreSQL's sequences go on counting between runs
    return (tuple((p.purpose, str(p.status), p.refunded_fen) for p in
                  db.session.scalars(sa.select(Payment).order_by(Payment.id))),
            balance(accounts.CLEARING_STRIPE), balance(accounts.REFUNDS_DUE))


def test_p2_duplicate_and_shuffled_delivery_changes_nothing_twice(stripe_fake, client):
    """Each event of a script delivered 3 times, in 20 random orders; every order must end in
    the state of one in-order delivery."""
    from tests.marketplace.bookings.helpers import make_world

    seed = 20261201
    rng = random.Random(seed)
    outcomes = []
    double_credits = double_refunds = 0
    runs = 21  # the reference (single, in order) and 20 shuffles
    for run in range(runs):
        stripe_fake.reset()
        world = make_world(quota_fen=None, requires_approval=False)
        events, paid = _scripted_events(stripe_fake, world)
        # the first two paid payments are refunded (one pending then succeeded), after payment
        for event in events[:len(paid)]:
            deliver(client, event)
        stripe_fake.refund_mode = "pending"
        db.session.expire_all()
        refund_events = []
        for i, payment in enumerate(paid[:2]):
            payment = db.session.get(Payment, payment.id)
            refund = payments.refund_payment(db.session, payment, key=f"p2:{i}", reason="p2")
            db.session.commit()
            db.session.expire_all()
            settled = stripe_fake.settle_refund(db.session.get(Refund, refund.id).stripe_refund_id)
            refund_events += [stripe_fake.event("refund.updated", settled),
                              stripe_fake.event("charge.refunded", stripe_fake.charge_of(settled))]
        script = events[len(paid):] + refund_events + events[:len(paid)]
        deliveries = script if run == 0 else [e for e in script for _ in range(3)]
        if run:
            rng.shuffle(deliveries)
        for event in deliveries:
            assert deliver(client, event).status_code == 200
        credits = db.session.scalar(sa.select(sa.func.count(LedgerTransfer.id)).where(
            LedgerTransfer.idempotency_key.like("payment:%:paid")))
        settles = db.session.scalar(sa.select(sa.func.count(LedgerTransfer.id)).where(
            LedgerTransfer.idempotency_key.like("refund:%:settled")))
        double_credits += credits - len(paid)
        double_refunds += settles - 2
        outcomes.append(_final_states())
        assert_ledger_balanced()
        db.session.remove()
        from tests.conftest import _truncate_all

        _truncate_all()
    same = sum(1 for o in outcomes[1:] if o == outcomes[0])
    refunded = [s for s in outcomes[0][0] if s[1] == "refunded"]
    assert len(refunded) == 2
    print(f"P2 seed {seed}: {len(outcomes[0][0])} payments, each event 3×, 20 shuffles; "
          f"double credits: {double_credits}, double refunds: {double_refunds}, final states "
          f"equal to single delivery: {same}/20 ({same * 5}%)")
    assert double_credits == 0 and double_refunds == 0 and same == 20


def test_p3_create_session_and_refund_retries_create_one_object_per_key(stripe_fake, client, app):
    from marketplace.payments.cli import retry_refunds_command

    owed = completed_booking()
    rows = []
    # checkout: one 500 (the SDK retries with the same key), then a lost reply (done, stored,
    # never answered: the retry is replayed), then a second click
    stripe_fake.fail_next(1)
    payment, url = stripe_payment(owed)
    rows.append(("session, 500 then success", payment.stripe_checkout_session_id))
    other = completed_booking(owed.world, day=2)
    stripe_fake.lose_next_replies(1)
    second, url2 = stripe_payment(other)
    third = payments.checkout_url(db.session, second, success_url="http://x/ok",
                                  cancel_url="http://x/cancel")
    assert third == url2
    sessions_per_key = dict(stripe_fake.created_by_key)
    assert sessions_per_key == {f"payment:{payment.id}:checkout:v1": 1,
                                f"payment:{second.id}:checkout:v1": 1}
    assert len(stripe_fake.sessions) == 2

    for p in (payment, second):
        deliver(client, stripe_fake.event("checkout.session.completed",
                                          stripe_fake.complete_checkout(p.stripe_checkout_session_id)))
    db.session.expire_all()
    # refunds: Stripe down for longer than the SDK's retries → the refund waits, pending
    stripe_fake.fail_next(3)
    refund = payments.refund_payment(db.session, db.session.get(Payment, payment.id),
                                     key="p3:refund:1", reason="p3")
    db.session.commit()
    db.session.expire_all()
    refund = db.session.get(Refund, refund.id)
    assert refund.status == RefundStatus.PENDING and refund.stripe_refund_id is None
    assert refund.attempts == 1 and refund.last_error
    # the other refund's reply is lost: Stripe made it, we do not know yet
    stripe_fake.lose_next_replies(3)
    lost = payments.refund_payment(db.session, db.session.get(Payment, second.id),
                                   key="p3:refund:2", reason="p3")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Refund, lost.id).stripe_refund_id is None
    result = app.test_cli_runner().invoke(retry_refunds_command)
    assert result.exit_code == 0, result.output
    again = app.test_cli_runner().invoke(retry_refunds_command)  # nothing left: no new calls
    assert "0 pending refunds" in again.output
    db.session.expire_all()
    refunds_per_key = {k: v for k, v in stripe_fake.created_by_key.items() if k.startswith("refund:")}
    assert refunds_per_key == {f"refund:{refund.id}:v1": 1, f"refund:{lost.id}:v1": 1}
    assert len(stripe_fake.refunds) == 2
    assert {db.session.get(Refund, r).status for r in (refund.id, lost.id)} == {RefundStatus.SUCCEEDED}
    keys_per_object = {}
    for method, path, key in stripe_fake.calls:
        if method == "POST":
            keys_per_object.setdefault(path, set()).add(key)
    calls = sum(1 for m, _p, _k in stripe_fake.calls if m == "POST")
    assert balance(accounts.CLEARING_STRIPE) == 0
    assert_ledger_balanced()
    print(f"P3 checkout: 500 then success, lost reply then retry, second click; refunds: Stripe "
          f"down past SDK retries then retry-refunds, lost replies then retry-refunds; POST calls "
          f"{calls}; objects created per idempotency key: "
          f"{sorted(set(sessions_per_key.values()) | set(refunds_per_key.values()))} "
          f"(sessions {len(stripe_fake.sessions)}, refunds {len(stripe_fake.refunds)})")
    print("P3 retry-refunds: " + result.output.strip().splitlines()[-1])


def test_p3_timeouts_are_retried_with_the_same_key(stripe_fake, client, app):
    """Stripe does the work but answers after our timeout (1 s here): the SDK's retry carries
    the same key and is answered from Stripe's store; nothing is created twice."""
    app.config["STRIPE_TIMEOUT"] = 1
    try:
        owed = completed_booking()
        stripe_fake.answer_late(1, seconds=1.5)
        payment, _url = stripe_payment(owed)
        deliver(client, stripe_fake.event("checkout.session.completed",
                                          stripe_fake.complete_checkout(payment.stripe_checkout_session_id)))
        db.session.expire_all()
        stripe_fake.answer_late(1, seconds=1.5)
        refund = payments.refund_payment(db.session, db.session.get(Payment, payment.id),
                                         key="p3:timeout", reason="p3")
        db.session.commit()
        db.session.expire_all()
        refund = db.session.get(Refund, refund.id)
    finally:
        app.config["STRIPE_TIMEOUT"] = 20
    created = dict(stripe_fake.created_by_key)
    posts = sum(1 for m, _p, _k in stripe_fake.calls if m == "POST")
    assert created == {f"payment:{payment.id}:checkout:v1": 1, f"refund:{refund.id}:v1": 1}
    assert refund.status == RefundStatus.SUCCEEDED and posts == 4
    assert_ledger_balanced()
    print(f"P3 timeouts: 2 calls answered after the timeout, {posts} POSTs; objects created per "
          f"idempotency key: {sorted(set(created.values()))}")
