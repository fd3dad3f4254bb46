"""Payment pages and the Stripe webhook.

The payer's page shows what to pay and how (for a bank transfer: the account and the reference
code to quote); the payee organisation and officers confirm bank transfers and bank refunds;
online payments go to Stripe Checkout once the pending payment is committed, and are fulfilled
only from the signed webhook, never from the browser coming back.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.auth.current import acting_user
from marketplace.bookings.models import Booking
from marketplace.errors import DomainError
from marketplace.extensions import csrf, db, limiter, utcnow
from marketplace.forms import refuse_on_form
from marketplace.payments import booking_payments, gateway
from marketplace.payments import operations as payments
from marketplace.payments.forms import CancelPaymentForm, PayForm, PaymentActionForm
from marketplace.payments.models import Payment, PaymentMethod, Refund

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__, url_prefix="/payments")


def _load(payment_id: int, allowed=None) -> Payment:
    """The payment if the user may see it (else 404) and, given ``allowed``, act on it (else 403)."""
    payment = db.get_or_404(Payment, payment_id)
    if not payment.can_view(current_user):
        abort(404)
    if allowed is not None and not allowed(payment, current_user):
        abort(403)
    return payment


def _render_show(payment: Payment, status: int = 200, **forms):
    return render_template(
        "payments/show.html", payment=payment, bank=payments.bank_account_details(),
        action_form=PaymentActionForm(formdata=None),
        cancel_form=forms.get("cancel_form") or CancelPaymentForm(formdata=None),
        online=gateway.is_configured()), status


@bp.route("/<int:payment_id>")
@login_required
def show(payment_id: int):
    """A payment: amount, method, status; how to pay a bank transfer; refunds."""
    return _render_show(_load(payment_id))


@bp.route("/<int:payment_id>/checkout", methods=["POST"])
@login_required
def checkout(payment_id: int):
    """Go to Stripe Checkout for a pending online payment (created once, then reused)."""
    payment = _load(payment_id, Payment.can_pay)
    if not PaymentActionForm().validate_on_submit():
        abort(400)
    try:
        url = payments.checkout_url(
            db.session, payment,
            success_url=url_for("payments.returned", payment_id=payment.id, _external=True),
            cancel_url=url_for("payments.show", payment_id=payment.id, _external=True))
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("payments.show", payment_id=payment.id))
    db.session.commit()
    return redirect(url, 303)


@bp.route("/<int:payment_id>/return")
@login_required
def returned(payment_id: int):
    """Where Stripe sends the payer back: we wait for Stripe's word (the webhook)."""
    return render_template("payments/returned.html", payment=_load(payment_id))


@bp.route("/<int:payment_id>/cancel", methods=["POST"])
@login_required
def cancel(payment_id: int):
    """The payer gives up a pending payment (e.g. to pay another way)."""
    payment = _load(payment_id, Payment.can_cancel)
    form = CancelPaymentForm()
    if not form.validate_on_submit():
        return _render_show(payment, 400, cancel_form=form)
    payments.cancel_payment(db.session, payment, reason=form.reason.data or "",
                            by=acting_user(), notify=True)
    db.session.commit()
    flash(_("The payment is cancelled."), "success")
    return redirect(url_for("payments.show", payment_id=payment.id))


@bp.route("/<int:payment_id>/confirm", methods=["POST"])
@login_required
def confirm(payment_id: int):
    """The payee organisation or an officer records that the bank transfer arrived."""
    payment = _load(payment_id, Payment.can_confirm)
    if not PaymentActionForm().validate_on_submit():
        abort(400)
    payments.confirm_bank_transfer(db.session, payment, user=acting_user(), now=utcnow())
    db.session.commit()
    flash(_("Payment %(code)s confirmed as received.", code=payment.reference_code), "success")
    return redirect(request.form.get("return_to") == "list"
                    and url_for("payments.confirmations")
                    or url_for("payments.show", payment_id=payment.id))


@bp.route("/refunds/<int:refund_id>/confirm", methods=["POST"])
@login_required
def confirm_refund(refund_id: int):
    """The payee organisation or an officer records that a bank refund was sent."""
    refund = db.get_or_404(Refund, refund_id)
    if not refund.payment.can_view(current_user):
        abort(404)
    if not refund.can_confirm(current_user):
        abort(403)
    if not PaymentActionForm().validate_on_submit():
        abort(400)
    payments.confirm_bank_refund(db.session, refund, user=acting_user(), now=utcnow())
    db.session.commit()
    flash(_("Refund recorded as sent."), "success")
    return redirect(request.form.get("return_to") == "list"
                    and url_for("payments.confirmations")
                    or url_for("payments.show", payment_id=refund.payment_id))


@bp.route("/confirmations")
@login_required
def confirmations():
    """Bank transfers and bank refunds waiting for the user's organisations (or an officer)."""
    pending, refunds = payments.list_pending_confirmations(db.session, acting_user())
    return render_template("payments/confirmations.html", payments=pending, refunds=refunds,
                           action_form=PaymentActionForm(formdata=None))


# ---------------------------------------------------------------------------------------------
# the booking's own share
def _booking(booking_id: int) -> Booking:
    booking = db.get_or_404(Booking, booking_id)
    if not booking.can_view(current_user):
        abort(404)
    if not booking_payments.can_pay(booking, current_user):
        abort(403)
    return booking


@bp.route("/bookings/<int:booking_id>/pay", methods=["GET", "POST"])
@login_required
def pay_booking(booking_id: int):
    """The booking's organisation pays its own share: bank transfer, or online when offered."""
    booking = _booking(booking_id)
    current = booking_payments.open_payment(db.session, booking)
    if request.method == "GET" and current is not None:
        return redirect(url_for("payments.show", payment_id=current.id))
    form = PayForm(online=gateway.is_configured())
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            payment = booking_payments.start_booking_payment(
                db.session, booking, acting_user(), PaymentMethod(form.method.data), utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            return redirect(url_for("payments.show", payment_id=payment.id))
    return render_template("payments/pay_booking.html", booking=booking, form=form,
                           amount_fen=booking_payments.amount_due(db.session, booking),
                           in_advance=booking.is_open), status


# ---------------------------------------------------------------------------------------------
# Stripe's webhook: no CSRF token (the signature proves the sender), no human rate limits
@bp.route("/stripe/webhook", methods=["POST"])
@csrf.exempt
@limiter.exempt
def stripe_webhook():
    """Verify the signature on the raw body, then apply the event once."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        log.error("Stripe webhook received but STRIPE_WEBHOOK_SECRET is not set")
        # 400, not 5xx: nothing is wrong with the server, and Stripe retries either way
        return _json(400, "not_configured", "The payment webhook is not configured.")
    try:
        event = gateway.verify_event(request.get_data(), request.headers.get("Stripe-Signature"),
                                     secret)
    except gateway.InvalidSignatureError as error:
        log.warning("Stripe webhook refused: %s", error.message)
        return _json(400, "invalid_signature", str(error.message))
    try:
        outcome = payments.handle_stripe_event(db.session, event, now=utcnow())
    except gateway.GatewayError as error:  # Stripe will deliver it again
        db.session.rollback()
        return _json(503, "payment_provider_error", str(error.message))
    db.session.commit()
    return jsonify(received=True, event=event["id"], outcome=outcome)


def _json(status: int, code: str, message: str):
    response = jsonify(error={"code": code, "message": message, "status": status})
    response.status_code = status
    return response
