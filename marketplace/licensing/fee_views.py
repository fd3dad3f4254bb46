"""Licence fee pages: the owner's express licence terms, taking an express licence in one step,
and paying an agreement's upfront fee (part by voucher). Blueprint ``licence_fees``.

Rules live in ``licensing.fees``; these views load, check, validate, call one operation and
commit once. The confirm pages show the split (vouchers / own share) for the chosen programme
(``GET`` with the choice in the query); online payments go to Stripe Checkout once the pending
payment is committed, and are fulfilled only by the webhook.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from listings.models import Technology
from marketplace.auth.current import acting_user
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.forms import refuse_on_form
from marketplace.licensing import fees
from marketplace.licensing.fee_forms import (
    NO_VOUCHER,
    ExpressLicenceForm,
    PayLicenceFeeForm,
    TakeExpressLicenceForm,
)
from marketplace.licensing.fee_models import LicenceFee
from marketplace.licensing.models import LicenceAgreement
from marketplace.organizations.models import Organization
from marketplace.payments import gateway
from marketplace.payments import operations as payments
from marketplace.payments.models import PaymentMethod
from marketplace.vouchers.models import VoucherProgramme

bp = Blueprint("licence_fees", __name__, url_prefix="/licensing/fees")


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def agreement_url(agreement) -> str:
    try:
        return url_for("licensing.agreement", agreement_id=agreement.id)
    except BuildError:  # the agreement page is the licensing slice's
        return f"/licensing/agreements/{agreement.id}"


# ---------------------------------------------------------------------------------------------
# partials' data (templates/licensing/fees/_express_side.html, _agreement_fee.html)
@bp.app_template_global("express_licence_panel")
def express_licence_panel(technology) -> dict:
    """What the express licence card on a technology page shows."""
    express = fees.get_express(db.session, technology)
    offered = fees.is_offered(db.session, technology) if express is not None else None
    mine = []
    if current_user.is_authenticated and express is not None:
        for org in fees.licensee_choices(current_user, technology):
            agreement = fees.live_express_agreement(db.session, technology, org)
            if agreement is not None:
                mine.append(agreement)
    return {"express": express, "offered": offered,
            "can_manage": fees.can_manage_express(technology, current_user),
            "can_take": offered is not None and bool(fees.takeable_for(db.session, technology,
                                                                         current_user)),
            "mine": mine, "agreement_url": agreement_url}


@bp.app_template_global("licence_fee_panel")
def licence_fee_panel(agreement) -> dict:
    """What the fee card on an agreement page shows: the fee attempts and what may be done."""
    attempts = fees.list_fees(db.session, agreement)
    current = next((f for f in reversed(attempts) if f.status != "cancelled"), None)
    return {"fees": attempts, "current": current,
            "can_pay": fees.can_pay(agreement, current_user)
            and fees.open_fee(db.session, agreement) is None,
            "payment_visible": current is not None and current.payment is not None
            and current.payment.can_view(current_user)}


# ---------------------------------------------------------------------------------------------
# the owner's express licence terms
def _technology(technology_id: int) -> Technology:
    technology = db.get_or_404(Technology, technology_id)
    if not technology.can_view(current_user):
        abort(404)
    return technology


@bp.route("/technologies/<int:technology_id>/express", methods=["GET", "POST"])
@login_required
def edit_express(technology_id: int):
    """The owner sets the fixed-price non-exclusive licence (price, term, territory, field)."""
    technology = _technology(technology_id)
    if not fees.can_manage_express(technology, current_user):
        abort(403)
    express = fees.get_express(db.session, technology)
    form = ExpressLicenceForm()
    if express is not None and not form.is_submitted():
        form.fill_from(express)
    status = 200
    if form.validate_on_submit():
        try:
            fees.set_express_licence(
                db.session, technology, acting_user(), price_fen=form.price.data,
                term_years=form.term_years.data, territory=form.territory.data,
                field_of_use=form.field_of_use.data, is_active=form.is_active.data, now=utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("The express licence is saved."), "success")
            return redirect(url_for("catalogue.show", listing_id=technology.id))
    elif form.is_submitted():
        status = 400
    return render_template("licensing/fees/edit_express.html", technology=technology,
                           form=form, express=express, language=_language()), status


# ---------------------------------------------------------------------------------------------
# taking it
def _keyed(form):
    if not form.is_submitted():
        form.request_key.data = secrets.token_urlsafe(24)
    return form


def _choices_from_query(form, *names) -> None:
    """"Show the split" sends the choices by GET: the page shows them chosen."""
    if request.method != "GET":
        return
    for name in names:
        value = request.args.get(name)
        if value and value in {choice.value for choice in getattr(form, name).choices}:
            getattr(form, name).data = value


def _preview_choice(form, name: str):
    """The choice to preview: the form's (on POST) or the query's (on GET)."""
    value = getattr(form, name).data
    if value in (None, "", NO_VOUCHER) or not str(value).isdigit():
        return None
    return int(value)


@bp.route("/technologies/<int:technology_id>/express/take", methods=["GET", "POST"])
@login_required
def take_express(technology_id: int):
    """Confirm and take the express licence: the agreement, then the payment of its fee."""
    technology = _technology(technology_id)
    express = fees.is_offered(db.session, technology)
    if express is None:
        abort(404)
    organizations = fees.licensee_choices(current_user, technology)
    if not organizations:
        abort(403)
    if request.method == "GET":  # a resent form (same key) still finds what it made
        organizations = fees.takeable_for(db.session, technology, current_user)
        if not organizations:
            flash(_("Your organisation already holds this express licence."), "info")
            return redirect(url_for("catalogue.show", listing_id=technology.id))
    now = utcnow()
    programmes = _programmes(organizations, now)
    form = _keyed(TakeExpressLicenceForm(organizations=organizations, programmes=programmes,
                                         online=gateway.is_configured()))
    _choices_from_query(form, "organization_id", "programme_id", "method")
    status = 200
    if form.validate_on_submit():
        organization = db.session.get(Organization, form.organization_choice)
        programme = _programme(form.programme_choice)
        try:
            fee = fees.take_express_licence(
                db.session, technology, acting_user(), organization=organization,
                programme=programme, method=form.method.data,
                request_key=form.request_key.data or "", now=now)
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            return _after_fee(fee, now)
    elif form.is_submitted():
        status = 400
    licensee = next((o for o in organizations
                     if o.id == _preview_choice(form, "organization_id")), organizations[0])
    quote = fees.quote_fee(licensee, technology.organization, express.price_fen,
                           _programme(_preview_choice(form, "programme_id")), now)
    return render_template("licensing/fees/take_express.html", technology=technology,
                           express=express, form=form, quote=quote, licensee=licensee,
                           language=_language()), status


# ---------------------------------------------------------------------------------------------
# paying an agreement's fee
@bp.route("/agreements/<int:agreement_id>/pay", methods=["GET", "POST"])
@login_required
def pay(agreement_id: int):
    """The licensee pays the upfront fee: vouchers where the programme admits it, the rest by
    bank transfer or online."""
    agreement = db.get_or_404(LicenceAgreement, agreement_id)
    if not agreement.can_view(current_user):
        abort(404)
    if not fees.can_pay(agreement, current_user):
        abort(403)
    current = fees.open_fee(db.session, agreement)
    if current is not None and request.method == "GET":
        if current.payment is not None:
            return redirect(url_for("payments.show", payment_id=current.payment_id))
        return redirect(agreement_url(agreement))
    now = utcnow()
    programmes = fees.usable_programmes(agreement.licensee_org, now)
    form = _keyed(PayLicenceFeeForm(programmes=programmes, online=gateway.is_configured()))
    _choices_from_query(form, "programme_id", "method")
    status = 200
    if form.validate_on_submit():
        try:
            fee = fees.start_fee_payment(
                db.session, agreement, acting_user(), programme=_programme(form.programme_choice),
                method=form.method.data, request_key=form.request_key.data or "", now=now)
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            return _after_fee(fee, now)
    elif form.is_submitted():
        status = 400
    quote = fees.quote_fee(agreement.licensee_org, agreement.licensor_org,
                           agreement.upfront_fee_fen,
                           _programme(_preview_choice(form, "programme_id")), now)
    return render_template("licensing/fees/pay.html", agreement=agreement, form=form,
                           quote=quote, agreement_link=agreement_url(agreement),
                           language=_language()), status


# ---------------------------------------------------------------------------------------------
def _programmes(organizations, now) -> list[VoucherProgramme]:
    found: dict[int, VoucherProgramme] = {}
    for organization in organizations:
        for programme in fees.usable_programmes(organization, now):
            found.setdefault(programme.id, programme)
    return sorted(found.values(), key=lambda p: p.id)


def _programme(programme_id: int | None) -> VoucherProgramme | None:
    return db.session.get(VoucherProgramme, programme_id) if programme_id else None


def _after_fee(fee: LicenceFee, now):
    """Where to go once the fee is started: Stripe Checkout, the bank-transfer page, or (paid
    by vouchers alone) the agreement."""
    if fee.created_at != now:
        flash(_("This form had already been sent; here is what it did."), "info")
    payment = fee.payment
    if payment is None:
        flash(_("The licence fee is paid by innovation vouchers; the licence is in force."),
              "success")
        return redirect(agreement_url(fee.agreement))
    if payment.method == PaymentMethod.STRIPE and payment.is_pending:
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
        return redirect(url, code=303)
    if fee.created_at == now:
        flash(_("The licence is concluded; it comes into force once your payment arrives.")
              if fee.agreement.express else
              _("Your payment is recorded; the licence comes into force once it arrives."),
              "success")
    return redirect(url_for("payments.show", payment_id=payment.id))
