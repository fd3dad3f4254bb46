"""Payment pages: wiring, permissions (allowed and denied) and status codes."""

from __future__ import annotations

import re

from marketplace.extensions import db
from marketplace.payments import operations as payments
from marketplace.payments.models import Payment, PaymentStatus, RefundStatus
from tests.e2e.test_catalogue import zh
from tests.factories import make_user
from tests.marketplace.payments.helpers import completed_booking


def _pay_by_bank(client, owed):
    response = client.post(f"/payments/bookings/{owed.booking.id}/pay",
                           data={"method": "bank_transfer"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    payment_id = int(re.search(r"/payments/(\d+)$", response.location).group(1))
    return db.session.get(Payment, payment_id)


def test_booker_pays_by_bank_transfer_and_the_lab_confirms(client, auth):
    owed = completed_booking()
    auth.login_as(owed.world.sme_user)
    page = client.get(f"/bookings/{owed.booking.id}").get_data(as_text=True)
    assert f"/payments/bookings/{owed.booking.id}/pay" in page
    assert client.get(f"/payments/bookings/{owed.booking.id}/pay").status_code == 200
    payment = _pay_by_bank(client, owed)
    again = client.post(f"/payments/bookings/{owed.booking.id}/pay", data={"method": "bank_transfer"})
    assert again.location.endswith(f"/payments/{payment.id}")  # a double click: one payment
    shown = client.get(f"/payments/{payment.id}")
    body = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert payment.reference_code in body and "¥1,200" in body
    assert client.post(f"/payments/{payment.id}/confirm").status_code == 403  # not the payer
    auth.logout()

    stranger = make_user()
    db.session.commit()
    auth.login_as(stranger)
    assert client.get(f"/payments/{payment.id}").status_code == 404
    assert client.get(f"/payments/bookings/{owed.booking.id}/pay").status_code == 404
    auth.logout()

    auth.login_as(owed.world.lab_user)
    listed = client.get("/payments/confirmations").get_data(as_text=True)
    assert payment.reference_code in listed
    assert client.get(f"/payments/bookings/{owed.booking.id}/pay").status_code == 403
    response = client.post(f"/payments/{payment.id}/confirm", data={"return_to": "list"})
    assert response.status_code == 302 and response.location.endswith("/payments/confirmations")
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.PAID
    listed = client.get("/payments/confirmations").get_data(as_text=True)  # after the flash
    assert f'data-payment-id="{payment.id}"' not in listed


def test_payer_cancels_and_bank_refund_is_confirmed_from_the_list(client, auth):
    owed = completed_booking()
    auth.login_as(owed.world.sme_user)
    payment = _pay_by_bank(client, owed)
    assert client.post(f"/payments/{payment.id}/cancel", data={"reason": "x" * 501}).status_code == 400
    assert client.post(f"/payments/{payment.id}/cancel", data={"reason": "wrong"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.CANCELLED
    second = _pay_by_bank(client, owed)
    auth.logout()
    payments.confirm_bank_transfer(db.session, second, user=owed.world.lab_user)
    refund = payments.refund_payment(db.session, second, key="view:refund", reason="回退")
    db.session.commit()
    auth.login_as(owed.world.sme_user)
    assert client.post(f"/payments/refunds/{refund.id}/confirm").status_code == 403
    auth.logout()
    auth.login_as(owed.world.officer)
    assert "回退" in client.get("/payments/confirmations").get_data(as_text=True)
    assert client.post(f"/payments/refunds/{refund.id}/confirm").status_code == 302
    db.session.expire_all()
    assert refund.status == RefundStatus.SUCCEEDED


def test_online_payment_goes_to_checkout_and_the_return_page_waits(stripe_fake, client, auth):
    owed = completed_booking()
    auth.login_as(owed.world.sme_user)
    response = client.post(f"/payments/bookings/{owed.booking.id}/pay", data={"method": "stripe"})
    assert response.status_code == 302
    payment_id = int(response.location.rsplit("/", 1)[1])
    checkout = client.post(f"/payments/{payment_id}/checkout")
    assert checkout.status_code == 303
    assert checkout.location.startswith("https://checkout.stripe.test/c/pay/cs_test_")
    assert client.post(f"/payments/{payment_id}/checkout").location == checkout.location
    assert len(stripe_fake.sessions) == 1
    waiting = client.get(f"/payments/{payment_id}/return").get_data(as_text=True)
    assert zh("We are confirming your payment") in waiting  # Chinese first
    assert client.post("/language", data={"lang": "en", "next": "/"}).status_code == 302
    waiting = client.get(f"/payments/{payment_id}/return").get_data(as_text=True)
    assert "We are confirming your payment" in waiting
    db.session.expire_all()
    assert db.session.get(Payment, payment_id).status == PaymentStatus.PENDING
    assert client.post(f"/payments/{payment_id}/confirm").status_code == 403  # online: no confirm


def test_stripe_is_not_offered_without_a_key(client, auth):
    owed = completed_booking()
    auth.login_as(owed.world.sme_user)
    page = client.get(f"/payments/bookings/{owed.booking.id}/pay").get_data(as_text=True)
    assert 'value="stripe"' not in page and 'value="bank_transfer"' in page
    refused = client.post(f"/payments/bookings/{owed.booking.id}/pay", data={"method": "stripe"})
    assert refused.status_code == 400
    assert client.post(f"/payments/bookings/{owed.booking.id}/pay", data={}).status_code == 400


def test_user_text_on_payment_pages_is_escaped(client, auth):
    payload = '<script>alert("x")</script>'
    owed = completed_booking()
    owed.world.instrument.title_zh = "电镜" + payload
    db.session.commit()
    auth.login_as(owed.world.sme_user)
    payment = _pay_by_bank(client, owed)
    client.post(f"/payments/{payment.id}/cancel", data={"reason": payload})
    second = _pay_by_bank(client, owed)
    pages = [client.get(f"/payments/{payment.id}").get_data(as_text=True),
             client.get(f"/payments/{second.id}").get_data(as_text=True),
             client.get(f"/payments/bookings/{owed.booking.id}/pay").get_data(as_text=True)]
    auth.logout()
    auth.login_as(owed.world.lab_user)
    pages.append(client.get("/payments/confirmations").get_data(as_text=True))
    unescaped = sum(payload in page for page in pages)
    assert unescaped == 0
    assert any("&lt;script&gt;" in page for page in pages)
    print(f"payment pages: {len(pages)} pages with a stored payload, unescaped: {unescaped}")
