"""S1 rows for the payments routes (step 4); appended to ``test_authz_matrix.ROWS``.

The step-3 world's ``owed`` booking (org B, other_org, booked org A's instrument; completed, its
own share unpaid) is paid by bank transfer, built by ``extra`` through the real operations:
``pending`` (waiting for org A to confirm), ``paid`` (confirmed by owner_a) and ``refund`` (paid,
with a bank refund waiting to be confirmed). The payer is other_org; the payee is org A (member_a,
owner_a); officers may look and confirm; plain users see nothing. Stripe is not configured here
(the fake-Stripe flows are in tests/marketplace/payments), so the webhook answers 400
(with a message).
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, MISSING, SIGNED_IN, Row, data

S3 = {"step3": True}


def _pay(state: str):
    def build(w) -> None:
        from marketplace.auth.models import User
        from marketplace.bookings.models import Booking
        from marketplace.extensions import db
        from marketplace.payments import operations as payments
        from marketplace.payments.booking_payments import start_booking_payment
        from marketplace.payments.models import PaymentMethod

        owed = db.session.get(Booking, w.bookings["owed"])
        payer = db.session.get(User, w.uid("other_org"))
        if state == "stripe":  # started while Stripe was configured; it is not any more
            from flask import current_app

            current_app.config["STRIPE_SECRET_KEY"] = "sk_test_matrix"
            try:
                payment = start_booking_payment(db.session, owed, payer, PaymentMethod.STRIPE)
            finally:
                current_app.config["STRIPE_SECRET_KEY"] = None
        else:
            payment = start_booking_payment(db.session, owed, payer, PaymentMethod.BANK_TRANSFER)
        if state in ("paid", "refund"):
            payments.confirm_bank_transfer(db.session, payment,
                                           user=db.session.get(User, w.uid("owner_a")))
        if state == "refund":
            refund = payments.refund_payment(db.session, payment, key="matrix:refund",
                                             reason="多收的费用", amount_fen=1)
            db.session.flush()
            w.extra["refund"] = refund.id
        db.session.commit()
        w.extra["payment"] = payment.id

    return build


def payment(suffix: str = "", missing: bool = False):
    return lambda w: f"/payments/{MISSING if missing else w.extra['payment']}{suffix}"


def refund(suffix: str = "/confirm", missing: bool = False):
    return lambda w: f"/payments/refunds/{MISSING if missing else w.extra['refund']}{suffix}"


def pay(state: str):
    return lambda w: f"/payments/bookings/{w.bookings.get(state, MISSING)}/pay"


PENDING, PAID, REFUND, STRIPE = _pay("pending"), _pay("paid"), _pay("refund"), _pay("stripe")

# fmt: off
#                                                  anon  plain memA ownA  other offcr admin
PAYMENT_ROWS: list = [
    Row("payments.show", "GET", "pending", "L    404  200  200  200  200  200", payment(),
        extra=PENDING, **S3),
    Row("payments.show", "GET", "missing", SIGNED_IN("L", "404"), payment(missing=True),
        extra=PENDING, **S3),
    Row("payments.returned", "GET", "", "L    404  200  200  200  200  200", payment("/return"),
        extra=PENDING, **S3),
    Row("payments.confirmations", "GET", "", SIGNED_IN("L", "200"),
        lambda w: "/payments/confirmations", extra=PENDING, **S3),
    # online checkout: a bank transfer has none (the Stripe flow is tested on the fake server)
    Row("payments.checkout", "GET", "", ALL("405"), payment("/checkout"), extra=PENDING, **S3),
    Row("payments.checkout", "POST", "bank-transfer", "L    404  403  403  403  403  403",
        payment("/checkout"), extra=PENDING, **S3),
    # an online payment while Stripe is not configured: back to the payment with a message
    Row("payments.checkout", "POST", "stripe-unconfigured", "L    404  403  403  302  403  403",
        payment("/checkout"), extra=STRIPE, **S3),
    Row("payments.cancel", "GET", "", ALL("405"), payment("/cancel"), extra=PENDING, **S3),
    Row("payments.cancel", "POST", "pending", "L    404  403  403  302! 403  403",
        payment("/cancel"), data(reason="改用其他方式"), extra=PENDING, **S3),
    Row("payments.cancel", "POST", "paid", "L    404  403  403  403  403  403",
        payment("/cancel"), extra=PAID, **S3),
    Row("payments.cancel", "POST", "missing", SIGNED_IN("L", "404"), payment("/cancel", True),
        extra=PENDING, **S3),
    Row("payments.confirm", "GET", "", ALL("405"), payment("/confirm"), extra=PENDING, **S3),
    Row("payments.confirm", "POST", "pending", "L    404  302! 302! 403  302! 302!",
        payment("/confirm"), extra=PENDING, **S3),
    Row("payments.confirm", "POST", "paid", "L    404  302  302  403  302  302",
        payment("/confirm"), extra=PAID, **S3),
    Row("payments.confirm", "POST", "missing", SIGNED_IN("L", "404"), payment("/confirm", True),
        extra=PENDING, **S3),
    Row("payments.confirm_refund", "GET", "", ALL("405"), refund(), extra=REFUND, **S3),
    Row("payments.confirm_refund", "POST", "pending", "L    404  302! 302! 403  302! 302!",
        refund(), extra=REFUND, **S3),
    Row("payments.confirm_refund", "POST", "missing", SIGNED_IN("L", "404"),
        refund(missing=True), extra=REFUND, **S3),
    # the booking's own share: only the booking's organisation pays; the lab and officers see
    # the booking but may not pay it; strangers do not see it
    Row("payments.pay_booking", "GET", "owed", "L    404  403  403  200  403  403",
        pay("owed"), **S3),
    Row("payments.pay_booking", "GET", "under-way", "L    404  403  403  302  403  403",
        pay("owed"), extra=PENDING, **S3),
    Row("payments.pay_booking", "GET", "nothing-owed", "L    404  403  403  403  403  403",
        pay("owed"), extra=PAID, **S3),
    # an open booking's quoted own share may be paid in advance, by its organisation only
    Row("payments.pay_booking", "GET", "prepay", "L    404  403  403  200  403  403",
        pay("requested"), **S3),
    Row("payments.pay_booking", "POST", "prepay", "L    404  403  403  302! 403  403",
        pay("requested"), data(method="bank_transfer"), **S3),
    Row("payments.pay_booking", "POST", "owed", "L    404  403  403  302! 403  403",
        pay("owed"), data(method="bank_transfer"), **S3),
    Row("payments.pay_booking", "POST", "missing", SIGNED_IN("L", "404"),
        pay("missing"), data(method="bank_transfer"), **S3),
    # Stripe's webhook: no session, no CSRF token; the signature is the authority
    Row("payments.stripe_webhook", "GET", "", ALL("405"),
        lambda w: "/payments/stripe/webhook"),
    Row("payments.stripe_webhook", "POST", "not-configured", ALL("400"),
        lambda w: "/payments/stripe/webhook", data(payload="{}")),
]
# fmt: on
