"""Booking pages: the instrument calendar, booking with a price preview, my bookings, the lab's
inbox, training records, calendar feeds.

Every rule lives in ``operations`` / ``rules``; these views load, check a ``can_*`` predicate,
validate a form, call one operation and commit once. URLs are spelt out in full (no blueprint
prefix) because the instrument's booking form and feed live under ``/instruments/``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from listings.models import Instrument
from marketplace.auth.current import acting_user
from marketplace.auth.models import User
from marketplace.bookings import calendar, operations, rules
from marketplace.bookings.forms import (
    BookingActionForm,
    BookingForm,
    CancelBookingForm,
    CompleteBookingForm,
    GrantQualificationForm,
    PlainActionForm,
    RejectBookingForm,
)
from marketplace.bookings.models import OPEN, Booking, BookingStatus, Qualification
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.forms import apply_domain_error
from marketplace.organizations.models import Membership, Organization, OrganizationKind
from marketplace.payments import booking_payments
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.models import VoucherProgramme

bp = Blueprint("bookings", __name__)

FEED_STATUSES = (BookingStatus.REQUESTED, BookingStatus.APPROVED, BookingStatus.COMPLETED,
                 BookingStatus.SETTLED)
OWED_STATUSES = (BookingStatus.COMPLETED, BookingStatus.SETTLED, BookingStatus.NO_SHOW,
                 BookingStatus.CANCELLED)
PAST_SHOWN = 100


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def _my_organizations(user) -> list:
    """The user's organisations, enterprises first (they are the ones that book with vouchers)."""
    found = db.session.scalars(sa.select(Organization).join(Membership).where(
        Membership.user_id == user.id))  # one statement, not one per membership
    return sorted(found, key=lambda o: (o.kind != OrganizationKind.ENTERPRISE, o.name_zh))


def _org_ids(user) -> list[int]:
    return [m.organization_id for m in user.memberships]


def _lab_instruments(user) -> list[Instrument]:
    org_ids = _org_ids(user)
    if not org_ids:
        return []
    return list(db.session.scalars(sa.select(Instrument).where(
        Instrument.organization_id.in_(org_ids)).order_by(Instrument.id)))


# ---------------------------------------------------------------------------------------------
# template helpers: the week calendar on the instrument page, the lab link in the menu
@bp.app_template_global("booking_week")
def booking_week(instrument) -> calendar.Week:
    """The week grid for ``?week=YYYY-MM-DD`` (default: from today), without the bookers."""
    now = utcnow()
    start = calendar.parse_week(request.args.get("week"), rules.local(now).date())
    begin, end = calendar.week_bounds(start)
    taken = [(b.starts_at, b.ends_at) for b in operations.list_taken(instrument, begin, end)]
    return calendar.build_week(instrument, start, now, taken)


@bp.app_template_global("has_lab_bookings")
def has_lab_bookings() -> bool:
    """Whether the signed-in user belongs to an organisation that offers an instrument."""
    from marketplace.menu import menu_facts

    return menu_facts().offers_instruments


@bp.app_template_filter("cancellation_rule")
def cancellation_rule(instrument) -> str:
    return rules.describe_cancellation(instrument)


# ---------------------------------------------------------------------------------------------
# booking: preview, then confirm
def _usable_programmes(organizations, now) -> tuple[list[VoucherProgramme], dict[int, set[int]]]:
    usable, programmes = {}, {}
    by_organization = vouchers.list_usable_programmes_of([o.id for o in organizations], now)
    for organization in organizations:
        found = by_organization[organization.id]
        usable[organization.id] = {p.id for p in found}
        programmes.update((p.id, p) for p in found)
    return sorted(programmes.values(), key=lambda p: p.id), usable


def _book(form: BookingForm, instrument, organizations, now):
    """Quote (preview) or book (confirm) what the form says; raises DomainError."""
    organization = next(o for o in organizations if str(o.id) == form.organization_id.data)
    programme = (db.session.get(VoucherProgramme, form.programme_choice)
                 if form.programme_choice else None)
    starts_at, ends_at = form.times()
    if form.confirm.data:
        return operations.create_booking(
            instrument, organization, acting_user(), starts_at, ends_at, programme=programme,
            purpose=form.purpose.data or "", request_key=form.request_key.data or "", now=now)
    quote = operations.quote_booking(instrument, organization, acting_user(), starts_at, ends_at,
                                     programme, now)
    if quote.voucher is not None and quote.voucher.refusal:
        raise vouchers.VoucherError(quote.voucher.refusal, "programme_id")
    return quote


def _booked_message(booking: Booking, now) -> tuple[str, str]:
    if booking.created_at != now:  # the same form sent again: the operation returned its booking
        return _("This booking form had already been sent; here is the booking it made."), "info"
    if booking.status == BookingStatus.REQUESTED:
        return _("Booking request sent: the lab will confirm it."), "success"
    return _("Booking confirmed."), "success"


@bp.route("/instruments/<int:instrument_id>/book", methods=["GET", "POST"])
@login_required
def create(instrument_id: int):
    """Book an instrument: the form, the price preview, the confirmation."""
    instrument = db.get_or_404(Instrument, instrument_id)
    if not instrument.is_published:
        abort(404)
    now = utcnow()
    organizations = _my_organizations(current_user)
    programmes, usable = _usable_programmes(organizations, now)
    form = BookingForm(organizations=organizations, programmes=programmes, usable=usable)
    quote = None
    if not form.is_submitted():
        form.prefill(request.args, instrument)
        form.request_key.data = secrets.token_urlsafe(24)
    elif not form.edit.data and form.validate_on_submit():
        try:
            result = _book(form, instrument, organizations, now)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            if isinstance(result, Booking):
                # read before the commit expires the booking (after it, a reload would cost a
                # second transaction)
                message, booking_id = _booked_message(result, now), result.id
                db.session.commit()
                flash(*message)
                return redirect(url_for("bookings.show", booking_id=booking_id))
            quote = result
    status = 400 if form.errors or form.form_errors else 200
    return render_template("bookings/new.html", instrument=instrument, form=form, quote=quote,
                           organizations=organizations, language=_language()), status


# ---------------------------------------------------------------------------------------------
# one booking and what can be done with it
def _load(booking_id: int, allowed=None) -> Booking:
    """The booking if the user may see it (else 404) and, given ``allowed``, act on it (else 403)."""
    booking = db.get_or_404(Booking, booking_id)
    if not booking.can_view(current_user):
        abort(404)
    if allowed is not None and not allowed(booking, current_user):
        abort(403)
    return booking


def _render_show(booking: Booking, status: int = 200, **forms):
    defaults = {
        "cancel_form": CancelBookingForm(formdata=None),
        "approve_form": BookingActionForm(formdata=None),
        "reject_form": RejectBookingForm(formdata=None),
        "complete_form": CompleteBookingForm(formdata=None, actual_minutes=booking.minutes),
        "no_show_form": BookingActionForm(formdata=None),
        "payment_form": BookingActionForm(formdata=None),
    }
    defaults.update(forms)
    pay_fen = (booking_payments.amount_due(db.session, booking)
               if booking.is_booker(current_user) else 0)
    return render_template("bookings/show.html", booking=booking, now=utcnow(),
                           language=_language(), pay_fen=pay_fen, **defaults), status


@bp.route("/bookings/<int:booking_id>")
@login_required
def show(booking_id: int):
    """One booking, for the booker, the lab and officers."""
    return _render_show(_load(booking_id))


def _act(booking_id: int, allowed, form_name: str, form_class, perform, message: str):
    """Load, check, validate, run one operation, commit, go back; a field error re-renders."""
    booking = _load(booking_id, allowed)
    form = form_class()
    if form.validate_on_submit():
        try:
            perform(booking, form, acting_user(), utcnow())
        except DomainError as error:
            if not (error.field and hasattr(form, error.field)):
                raise
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(message, "success")
            if form.return_to.data == "lab":
                return redirect(url_for("bookings.lab"))
            return redirect(url_for("bookings.show", booking_id=booking.id))
    return _render_show(booking, 400, **{form_name: form})


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@login_required
def cancel(booking_id: int):
    """The booker cancels (a late cancellation is charged as the instrument's rules say)."""
    return _act(booking_id, Booking.can_cancel, "cancel_form", CancelBookingForm,
                lambda b, f, user, now: operations.cancel_booking(b, user, f.reason.data, now),
                _("The booking is cancelled."))


@bp.route("/bookings/<int:booking_id>/approve", methods=["POST"])
@login_required
def approve(booking_id: int):
    """The lab confirms a requested booking."""
    return _act(booking_id, Booking.can_decide, "approve_form", BookingActionForm,
                lambda b, f, user, now: operations.approve_booking(b, user, now),
                _("Booking confirmed. The user has been told."))


@bp.route("/bookings/<int:booking_id>/reject", methods=["POST"])
@login_required
def reject(booking_id: int):
    """The lab declines a requested booking, with a reason."""
    return _act(booking_id, Booking.can_decide, "reject_form", RejectBookingForm,
                lambda b, f, user, now: operations.reject_booking(b, user, f.reason.data, now),
                _("Booking rejected. The user has been told why."))


@bp.route("/bookings/<int:booking_id>/complete", methods=["POST"])
@login_required
def complete(booking_id: int):
    """The lab records the actual use; vouchers pay their share of the actual charge."""
    return _act(booking_id, Booking.can_complete, "complete_form", CompleteBookingForm,
                lambda b, f, user, now: operations.complete_booking(
                    b, user, f.actual_minutes.data, f.usage_note.data or "",
                    f.invoice_number.data, now),
                _("Usage recorded."))


@bp.route("/bookings/<int:booking_id>/no-show", methods=["POST"])
@login_required
def no_show(booking_id: int):
    """The lab records that nobody came."""
    return _act(booking_id, Booking.can_complete, "no_show_form", BookingActionForm,
                lambda b, f, user, now: operations.record_no_show(b, user, now),
                _("No-show recorded."))


@bp.route("/bookings/<int:booking_id>/payment", methods=["POST"])
@login_required
def record_payment(booking_id: int):
    """The lab confirms the booker paid its own share."""
    return _act(booking_id, Booking.can_record_payment, "payment_form", BookingActionForm,
                lambda b, f, user, now: operations.record_self_paid_received(b, user, now),
                _("Payment recorded."))


# ---------------------------------------------------------------------------------------------
# lists: my bookings, the lab's inbox
@bp.route("/bookings/")
@login_required
def index():
    """The bookings of all the user's organisations, their voucher balances, the feed link."""
    now = utcnow()
    org_ids = _org_ids(current_user)
    upcoming, past = [], []
    if org_ids:
        mine = Booking.organization_id.in_(org_ids)
        is_upcoming = sa.and_(Booking.status.in_(OPEN), Booking.ends_at > now)
        upcoming = list(db.session.scalars(sa.select(Booking).where(mine, is_upcoming)
                                           .order_by(Booking.starts_at)))
        past = list(db.session.scalars(sa.select(Booking).where(mine, sa.not_(is_upcoming))
                                       .order_by(Booking.starts_at.desc()).limit(PAST_SHOWN)))
    balances = [(organization, programme, vouchers.voucher_balance(organization, programme, now))
                for organization in _my_organizations(current_user)
                for programme in vouchers.list_usable_programmes(organization, now)]
    token = current_user.calendar_token
    feed_url = url_for("bookings.user_feed", token=token, _external=True) if token else None
    return render_template("bookings/index.html", upcoming=upcoming, past=past,
                           balances=balances, feed_url=feed_url, link_form=PlainActionForm(),
                           language=_language())


@bp.route("/bookings/calendar-link", methods=["POST"])
@login_required
def calendar_link():
    """Make the secret address of the user's calendar feed."""
    if PlainActionForm().validate_on_submit():
        operations.calendar_token(acting_user())
        db.session.commit()
        flash(_("Your calendar address is ready. Add it to your calendar app."), "success")
    return redirect(url_for("bookings.index"))


def _render_lab(status: int = 200, grant_forms=None):
    now = utcnow()
    instruments = _lab_instruments(current_user)
    ids = [i.id for i in instruments]
    groups = {"requests": [], "upcoming": [], "to_complete": [], "owed": []}
    qualifications = []
    if ids:
        rows = db.session.scalars(sa.select(Booking).where(
            Booking.instrument_id.in_(ids),
            sa.or_(Booking.status.in_(OPEN),
                   sa.and_(Booking.status.in_(OWED_STATUSES), Booking.self_paid_fen > 0,
                           Booking.self_paid_received_at.is_(None))))
            .order_by(Booking.starts_at))
        for booking in rows:
            if booking.status == BookingStatus.REQUESTED:
                groups["requests"].append(booking)
            elif booking.status == BookingStatus.APPROVED:
                groups["upcoming" if booking.starts_at > now else "to_complete"].append(booking)
            else:
                groups["owed"].append(booking)
        qualifications = list(db.session.scalars(sa.select(Qualification).where(
            Qualification.instrument_id.in_(ids))
            .order_by(Qualification.instrument_id, Qualification.granted_at)))
    forms = {i.id: GrantQualificationForm(formdata=None) for i in instruments}
    forms.update(grant_forms or {})
    return render_template("bookings/lab.html", instruments=instruments, groups=groups,
                           qualifications=qualifications, grant_forms=forms, now=now,
                           action_form=PlainActionForm(), language=_language()), status


@bp.route("/bookings/lab")
@login_required
def lab():
    """Bookings of the instruments the user's organisations offer: requests first, then what is
    coming, then what needs its usage or payment recorded; and who is trained on what."""
    return _render_lab()


# ---------------------------------------------------------------------------------------------
# training records
@bp.route("/instruments/<int:instrument_id>/qualifications", methods=["POST"])
@login_required
def grant_qualification(instrument_id: int):
    """The lab records that a user (by e-mail) has been trained on the instrument."""
    instrument = db.get_or_404(Instrument, instrument_id)
    if not instrument.can_view(current_user):
        abort(404)
    if not instrument.can_edit(current_user):
        abort(403)
    form = GrantQualificationForm()
    if form.validate_on_submit():
        try:
            operations.grant_qualification(instrument, form.email.data, acting_user(),
                                           form.note.data)
        except DomainError as error:
            if not (error.field and hasattr(form, error.field)):
                raise
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Training recorded for %(email)s.", email=form.email.data), "success")
            return redirect(url_for("bookings.lab"))
    return _render_lab(400, {instrument.id: form})


@bp.route("/bookings/qualifications/<int:qualification_id>/revoke", methods=["POST"])
@login_required
def revoke_qualification(qualification_id: int):
    """The lab withdraws a training record."""
    qualification = db.get_or_404(Qualification, qualification_id)
    if not qualification.instrument.can_edit(current_user):
        abort(404)
    if PlainActionForm().validate_on_submit():
        operations.revoke_qualification(qualification, acting_user())
        db.session.commit()
        flash(_("Training record removed."), "success")
    return redirect(url_for("bookings.lab"))


# ---------------------------------------------------------------------------------------------
# calendar feeds (no log-in: the user's feed is found by its secret token)
def _ics(body: bytes, filename: str, private: bool) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return response


@bp.route("/bookings/calendar/<token>.ics")
def user_feed(token: str):
    """The user's organisations' requested, confirmed and completed bookings."""
    user = db.session.scalars(sa.select(User).where(User.calendar_token == token)).first() \
        if 16 <= len(token) <= 64 else None
    if user is None or not user.is_active:
        abort(404)
    org_ids = _org_ids(user)
    bookings = list(db.session.scalars(sa.select(Booking).where(
        Booking.organization_id.in_(org_ids), Booking.status.in_(FEED_STATUSES),
        Booking.ends_at > utcnow() - timedelta(days=180)).order_by(Booking.starts_at))) \
        if org_ids else []
    language = "en" if (user.locale or "").startswith("en") else "zh"
    with force_locale(user.locale or "zh_CN"):
        events = [calendar.FeedEvent(
            uid=f"booking-{b.id}@czinno", starts_at=b.starts_at, ends_at=b.ends_at,
            stamp=b.updated_at or b.created_at, tentative=b.status == BookingStatus.REQUESTED,
            summary=f"{b.instrument.title_for(language)} · {b.status.label}",
            description=_("Booked for %(org)s at %(lab)s.", org=b.organization.name_zh,
                          lab=b.instrument.organization.name_zh),
            location=b.instrument.lab_location or b.instrument.address or "",
            url=url_for("bookings.show", booking_id=b.id, _external=True)) for b in bookings]
        name = _("My instrument bookings")
    return _ics(calendar.ics_feed(name, events), "bookings.ics", private=True)


@bp.route("/instruments/<int:instrument_id>/calendar.ics")
def instrument_feed(instrument_id: int):
    """When a published instrument is busy (no names, no details)."""
    instrument = db.get_or_404(Instrument, instrument_id)
    if not instrument.is_published:
        abort(404)
    now = utcnow()
    taken = operations.list_taken(instrument, now - timedelta(days=30),
                                  now + timedelta(days=instrument.booking_horizon_days + 1))
    secret = str(current_app.config["SECRET_KEY"]).encode()
    events = [calendar.FeedEvent(
        # an opaque id: stable for calendar apps, telling nothing about the booking
        uid=hmac.new(secret, f"busy:{b.id}".encode(), hashlib.sha256).hexdigest()[:32] + "@czinno",
        starts_at=b.starts_at, ends_at=b.ends_at, stamp=b.created_at,
        summary="已预约 / Booked") for b in taken]
    return _ics(calendar.ics_feed(instrument.title_for("zh"), events),
                f"instrument-{instrument.id}.ics", private=False)
