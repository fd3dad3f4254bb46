"""Payment pages and the Stripe webhook."""

from flask import Blueprint

from marketplace.payments import booking_payments  # noqa: F401  (registers its purpose)

bp = Blueprint("payments", __name__, url_prefix="/payments")
