"""S8 bad-input cases for the payments forms (step 4); appended to ``test_limits.FORMS``.

``PAYMENT_BUTTONS``: POST endpoints that take no fields (CSRF-protected buttons), and Stripe's
webhook, whose raw body is checked by its signature (the P1 matrix in
tests/marketplace/payments/test_webhook_reliability.py covers its bad input).
"""

from __future__ import annotations

from tests.security.rows_payments import PENDING
from tests.security.test_limits import FormCases

# fmt: off
PAYMENT_FORMS: list = [
    FormCases("cancel a payment", "payments.cancel", "other_org",
              lambda w: f"/payments/{w.extra['payment']}/cancel", {
                  "reason too long": lambda w: {"reason": "长" * 501},
              }, step3=True, extra=PENDING),
    FormCases("pay a booking", "payments.pay_booking", "other_org",
              lambda w: f"/payments/bookings/{w.bookings['owed']}/pay", {
                  "empty": lambda w: {},
                  "unknown method": lambda w: {"method": "cash"},
                  "online without Stripe": lambda w: {"method": "stripe"},
                  "method too long": lambda w: {"method": "b" * 5000},
              }, step3=True),
]
# fmt: on
PAYMENT_BUTTONS: set[str] = {"payments.checkout", "payments.confirm", "payments.confirm_refund",
                             "payments.stripe_webhook"}
