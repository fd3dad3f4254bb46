"""An express licence paid online: the fake Stripe at the network edge, the signed webhook, a
replayed delivery, an expired checkout."""

from __future__ import annotations

import pytest
import re

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.ledger.models import HoldStatus, LedgerAccount
from marketplace.licensing.fee_models import FeeStatus, LicenceFee
from marketplace.licensing.models import LicenceStatus
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.vouchers.models import accounts
from tests.marketplace.licensing.test_fee_world import assert_clean, build_fee_world
from tests.marketplace.payments.stripe_helpers import deliver
from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _take_online(client, auth, world):
    auth.login_as(world.buyer)
    url = f"/licensing/fees/technologies/{world.technology.id}/express/take"
    html = client.get(url).get_data(as_text=True)
    assert 'value="stripe"' in html
    request_key = re.search(r'name="request_key"[^>]*value="([^"]+)"', html)[1]
    response = client.post(url, data={
        "organization_id": str(world.enterprise.id), "programme_id": str(world.programme.id),
        "method": "stripe", "request_key": request_key})
    assert response.status_code == 303  # to Stripe Checkout
    db.session.expire_all()
    fee = db.session.scalars(sa.select(LicenceFee)).one()
    assert fee.payment.stripe_checkout_session_id is not None
    assert response.headers["Location"].startswith("https://checkout.stripe.test/")
    return fee


def _receivable(world) -> int:
    db.session.expire_all()
    codes = [accounts.receivable(world.university.id, world.programme.id, layer.id)
             for layer in world.programme.layers]
    return sum(db.session.scalars(sa.select(LedgerAccount.posted_balance)
                                  .where(LedgerAccount.code.in_(codes))))


def test_paid_online_the_webhook_puts_the_licence_in_force_once(stripe_fake, client, auth):
    world = build_fee_world()
    fee = _take_online(client, auth, world)
    payment = fee.payment
    assert payment.amount_fen == 600_000 and payment.status == PaymentStatus.PENDING
    session = stripe_fake.complete_checkout(payment.stripe_checkout_session_id)
    event = stripe_fake.event("checkout.session.completed", session)
    assert deliver(client, event).json["outcome"] == "paid"
    assert deliver(client, event).json["outcome"] == "duplicate"  # a replayed delivery
    db.session.expire_all()
    fee = db.session.get(LicenceFee, fee.id)
    assert fee.status == FeeStatus.PAID
    assert fee.agreement.status == LicenceStatus.IN_FORCE
    assert all(h.transfer.status == HoldStatus.POSTED for h in fee.holds)
    assert _receivable(world) == 1_400_000
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 1
    assert_clean()


def test_an_expired_checkout_cancels_the_fee_and_releases_the_vouchers(stripe_fake, client, auth):
    world = build_fee_world()
    fee = _take_online(client, auth, world)
    expired = stripe_fake.expire(fee.payment.stripe_checkout_session_id)
    assert deliver(client, stripe_fake.event("checkout.session.expired",
                                             expired)).json["outcome"] == "cancelled"
    db.session.expire_all()
    fee = db.session.get(LicenceFee, fee.id)
    assert fee.status == FeeStatus.CANCELLED
    assert all(h.transfer.status == HoldStatus.VOIDED for h in fee.holds)
    assert fee.agreement.status == LicenceStatus.AWAITING_PAYMENT
    assert _receivable(world) == 0
    # the licensee may pay again
    page = client.get(f"/licensing/fees/agreements/{fee.agreement_id}/pay")
    assert page.status_code == 200
    assert_clean()
