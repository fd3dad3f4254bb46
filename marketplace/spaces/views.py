"""Space leasing pages: request a viewing, the viewing (answer, cancel, .ics), make a lease
offer, the offer (accept, decline, withdraw), the lease, "my leasing"; and the template globals
behind the panels on the space's page (``spaces/_space_main.html``, ``spaces/_space_side.html``).

Rules live in ``spaces.operations``; these views load, check, validate, call one operation and
commit once. Objects a user may not see are a 404; seen but not theirs to act on, a 403.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from listings.models import Space
from marketplace.auth.current import acting_user
from marketplace.bookings import calendar
from marketplace.errors import DomainError, NotAllowedError, NotFoundError
from marketplace.extensions import db, utcnow
from marketplace.forms import apply_domain_error, refuse_on_form
from marketplace.organizations.models import Organization
from marketplace.spaces import operations
from marketplace.spaces.forms import (
    AcceptViewingForm,
    ActionForm,
    DeclineOfferForm,
    DeclineViewingForm,
    LeaseOfferForm,
    ViewingRequestForm,
)
from marketplace.spaces.models import Lease, LeaseOffer, Viewing

bp = Blueprint("spaces", __name__, url_prefix="/spaces")


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


# ---------------------------------------------------------------------------------------------
# the panels on the space's page
@bp.app_template_global("space_leasing")
def space_leasing(space) -> dict:
    """What the space page's leasing panels show to the current user (worked out once per
    request: both panels ask)."""
    cache = g.setdefault("space_leasing", {})
    if space.id not in cache:
        cache[space.id] = _space_leasing(space)
    return cache[space.id]


def _space_leasing(space) -> dict:
    user = current_user
    landlord = space.organization.is_member(user)
    queue = operations.list_open_requests(db.session, space, utcnow()) if landlord else ([], [])
    own = operations.list_own_requests(db.session, space, user) if not landlord else ([], [])
    return {
        "landlord": landlord,
        "can_request": operations.can_request(user, space),
        "can_offer": operations.can_offer(user, space),
        "needs_verified": (user.is_authenticated and not landlord
                           and not operations.requester_organizations(user, space)),
        "fully_let": space.area_free_m2 <= 0,
        "leased_m2": operations.leased_area(db.session, space),
        "queue_viewings": queue[0], "queue_offers": queue[1],
        "own_viewings": own[0], "own_offers": own[1],
    }


def _load_space(space_id: int) -> Space:
    space = db.get_or_404(Space, space_id)
    if not space.can_view(current_user):
        abort(404)
    return space


def _organizations(space) -> list:
    return operations.requester_organizations(current_user, space)


def _chosen_organization(form):
    choice = form.organization_choice
    return db.session.get(Organization, choice) if choice is not None else None


def _refuse_requester(space) -> None:
    """403 for those who may see the space but not ask about it."""
    if not space.is_published:
        abort(404 if not space.can_edit(current_user) else 403)
    if not _organizations(space):
        abort(403)


# ---------------------------------------------------------------------------------------------
# viewings
@bp.route("/<int:space_id>/viewings/new", methods=["GET", "POST"])
@login_required
def request_viewing(space_id: int):
    """Propose one to three times to view the space."""
    space = _load_space(space_id)
    _refuse_requester(space)
    form = ViewingRequestForm(organizations=_organizations(space))
    status = 200
    if form.validate_on_submit():
        try:
            viewing = operations.request_viewing(
                db.session, space, acting_user(), times=form.times, note=form.note.data,
                organization=_chosen_organization(form), now=utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Your viewing request was sent to the landlord."), "success")
            return redirect(url_for("spaces.viewing", viewing_id=viewing.id))
    elif form.is_submitted():
        status = 400
    return render_template("spaces/request_viewing.html", space=space, form=form,
                           language=_language()), status


def _load_viewing(viewing_id: int) -> Viewing:
    viewing = db.get_or_404(Viewing, viewing_id)
    if not viewing.can_view(current_user):
        abort(404)
    return viewing


def _time_label(moment) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm (EEE)")


def _accept_form(viewing: Viewing, **kwargs) -> AcceptViewingForm:
    return AcceptViewingForm(options=viewing.options,
                             labels=[_time_label(t) for t in viewing.options], **kwargs)


def _render_viewing(viewing: Viewing, status: int = 200, **forms):
    forms.setdefault("accept_form", _accept_form(viewing, formdata=None))
    forms.setdefault("decline_form", DeclineViewingForm(formdata=None))
    forms.setdefault("action_form", ActionForm(formdata=None))
    return render_template("spaces/viewing.html", viewing=viewing, space=viewing.space,
                           language=_language(), **forms), status


@bp.route("/viewings/<int:viewing_id>")
@login_required
def viewing(viewing_id: int):
    """One viewing request: its times and state; the landlord answers here."""
    return _render_viewing(_load_viewing(viewing_id))


@bp.route("/viewings/<int:viewing_id>/accept", methods=["POST"])
@login_required
def accept_viewing(viewing_id: int):
    """The landlord confirms one of the proposed times."""
    viewing = _load_viewing(viewing_id)
    if not viewing.can_decide(current_user):
        abort(403)
    form = _accept_form(viewing)
    status = 400
    if form.validate_on_submit():
        try:
            operations.accept_viewing(db.session, viewing, acting_user(),
                                      chosen=form.chosen_time, now=utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("The viewing is confirmed; the requester has been told."), "success")
            return redirect(url_for("spaces.viewing", viewing_id=viewing_id))
    return _render_viewing(db.session.get(Viewing, viewing_id), status, accept_form=form)


@bp.route("/viewings/<int:viewing_id>/decline", methods=["POST"])
@login_required
def decline_viewing(viewing_id: int):
    """The landlord declines the request, saying why."""
    viewing = _load_viewing(viewing_id)
    if not viewing.can_decide(current_user):
        abort(403)
    form = DeclineViewingForm()
    status = 400
    if form.validate_on_submit():
        try:
            operations.decline_viewing(db.session, viewing, acting_user(),
                                       note=form.reason.data, now=utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("The viewing request was declined."), "info")
            return redirect(url_for("spaces.viewing", viewing_id=viewing_id))
    return _render_viewing(db.session.get(Viewing, viewing_id), status, decline_form=form)


@bp.route("/viewings/<int:viewing_id>/cancel", methods=["POST"])
@login_required
def cancel_viewing(viewing_id: int):
    """The requester calls the viewing off."""
    viewing = _load_viewing(viewing_id)
    if not viewing.can_cancel(current_user):
        abort(403)
    form = ActionForm()
    status = 400
    if form.validate_on_submit():
        try:
            operations.cancel_viewing(db.session, viewing, acting_user(), now=utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("The viewing was cancelled."), "info")
            return redirect(url_for("spaces.viewing", viewing_id=viewing_id))
    return _render_viewing(db.session.get(Viewing, viewing_id), status, action_form=form)


@bp.route("/viewings/<int:viewing_id>/viewing.ics")
@login_required
def viewing_ics(viewing_id: int):
    """The confirmed viewing as an iCalendar file, for both sides."""
    viewing = _load_viewing(viewing_id)
    if not viewing.can_download(current_user):
        abort(404)
    space = viewing.space
    language = _language()
    event = calendar.FeedEvent(
        uid=f"space-viewing-{viewing.id}@czinno", starts_at=viewing.scheduled_at,
        ends_at=viewing.ends_at, stamp=viewing.decided_at or viewing.created_at,
        summary=_("Viewing: %(title)s", title=space.title_for(language)),
        description=_("%(tenant)s views the space of %(landlord)s.",
                      tenant=viewing.tenant_organization.name_zh,
                      landlord=space.organization.name_zh),
        location=space.address or space.park_name or "",
        url=url_for("spaces.viewing", viewing_id=viewing.id, _external=True))
    response = Response(calendar.ics_feed(_("Space viewing"), [event]), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="viewing-{viewing.id}.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------
# lease offers
def _offer_form(space, *, fresh: bool = False) -> LeaseOfferForm:
    kwargs = {"formdata": None} if fresh else {}
    form = LeaseOfferForm(organizations=_organizations(space), **kwargs)
    if fresh or not form.is_submitted():
        form.request_key.data = secrets.token_urlsafe(24)
        form.area_m2.data = space.area_free_m2
        form.term_months.data = max(space.min_lease_months, 12)
        form.start_date.data = space.available_from
    return form


@bp.route("/<int:space_id>/offers/new", methods=["GET", "POST"])
@login_required
def make_offer(space_id: int):
    """Offer to lease all or part of the space."""
    space = _load_space(space_id)
    _refuse_requester(space)
    form = _offer_form(space)
    status = 200
    if form.validate_on_submit():
        now = utcnow()
        try:
            offer = operations.make_lease_offer(
                db.session, space, acting_user(), area_m2=form.area_m2.data,
                monthly_rent_fen=form.monthly_rent.data, term_months=form.term_months.data,
                start_date=form.start_date.data, deposit_fen=form.deposit.data,
                message=form.message.data, organization=_chosen_organization(form),
                key=form.request_key.data or "", now=now)
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            if offer.created_at == now:
                flash(_("Your offer was sent to the landlord."), "success")
            else:
                flash(_("This offer form had already been sent; here is the offer it made."),
                      "info")
            return redirect(url_for("spaces.offer", offer_id=offer.id))
    elif form.is_submitted():
        status = 400
    return render_template("spaces/make_offer.html", space=space, form=form,
                           language=_language()), status


def _load_offer(offer_id: int) -> LeaseOffer:
    offer = db.get_or_404(LeaseOffer, offer_id)
    if not offer.can_view(current_user):
        abort(404)
    return offer


def _render_offer(offer: LeaseOffer, status: int = 200, **forms):
    forms.setdefault("decline_form", DeclineOfferForm(formdata=None))
    forms.setdefault("action_form", ActionForm(formdata=None))
    return render_template("spaces/offer.html", offer=offer, space=offer.space,
                           lease=operations.lease_of_offer(db.session, offer),
                           language=_language(), **forms), status


@bp.route("/offers/<int:offer_id>")
@login_required
def offer(offer_id: int):
    """One lease offer: its terms and state; the landlord answers here."""
    return _render_offer(_load_offer(offer_id))


def _refused(form, error: DomainError) -> int:
    if isinstance(error, NotAllowedError | NotFoundError):
        raise error
    db.session.rollback()
    apply_domain_error(form, error)
    return error.status_code


@bp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@login_required
def accept_offer(offer_id: int):
    """The landlord accepts: the lease is concluded and its area is no longer free."""
    offer = _load_offer(offer_id)
    if not offer.can_decide(current_user):
        abort(403)
    form = ActionForm()
    status = 400
    if form.validate_on_submit():
        try:
            lease = operations.accept_lease_offer(db.session, offer, acting_user(), now=utcnow())
        except DomainError as error:
            status = _refused(form, error)
        else:
            db.session.commit()
            flash(_("Lease %(number)s is concluded.", number=lease.number), "success")
            return redirect(url_for("spaces.lease", lease_id=lease.id))
    return _render_offer(db.session.get(LeaseOffer, offer_id), status, action_form=form)


@bp.route("/offers/<int:offer_id>/decline", methods=["POST"])
@login_required
def decline_offer(offer_id: int):
    """The landlord declines the offer with structured feedback."""
    offer = _load_offer(offer_id)
    if not offer.can_decide(current_user):
        abort(403)
    form = DeclineOfferForm()
    status = 400
    if form.validate_on_submit():
        try:
            operations.decline_lease_offer(db.session, offer, acting_user(),
                                           reason=form.reason.data, note=form.note.data,
                                           now=utcnow())
        except DomainError as error:
            status = _refused(form, error)
        else:
            db.session.commit()
            flash(_("The offer was declined; the tenant has been told."), "info")
            return redirect(url_for("spaces.offer", offer_id=offer_id))
    return _render_offer(db.session.get(LeaseOffer, offer_id), status, decline_form=form)


@bp.route("/offers/<int:offer_id>/withdraw", methods=["POST"])
@login_required
def withdraw_offer(offer_id: int):
    """The tenant's side takes its offer back."""
    offer = _load_offer(offer_id)
    if not offer.can_withdraw(current_user):
        abort(403)
    form = ActionForm()
    status = 400
    if form.validate_on_submit():
        try:
            operations.withdraw_lease_offer(db.session, offer, acting_user(), now=utcnow())
        except DomainError as error:
            status = _refused(form, error)
        else:
            db.session.commit()
            flash(_("Your offer was withdrawn."), "info")
            return redirect(url_for("spaces.offer", offer_id=offer_id))
    return _render_offer(db.session.get(LeaseOffer, offer_id), status, action_form=form)


# ---------------------------------------------------------------------------------------------
# leases and "my leasing"
@bp.route("/leases/<int:lease_id>")
@login_required
def lease(lease_id: int):
    """A concluded lease: its parties and terms (participants and officers)."""
    lease = db.get_or_404(Lease, lease_id)
    if not lease.can_view(current_user):
        abort(404)
    return _render_lease(lease)


def _render_lease(lease: Lease, status: int = 200, action_form=None):
    return render_template("spaces/lease.html", lease=lease, space=lease.space, deal=lease,
                           deal_kind="lease", action_form=action_form or ActionForm(formdata=None),
                           language=_language()), status


@bp.route("/leases/<int:lease_id>/end", methods=["POST"])
@login_required
def end_lease(lease_id: int):
    """The landlord records that the lease has ended; its area is free again."""
    lease = db.get_or_404(Lease, lease_id)
    if not lease.can_view(current_user):
        abort(404)
    if not lease.can_end(current_user):
        abort(403)
    form = ActionForm()
    status = 400
    if form.validate_on_submit():
        try:
            operations.end_lease(db.session, lease, acting_user(), now=utcnow())
        except DomainError as error:
            status = _refused(form, error)
        else:
            db.session.commit()
            flash(_("The lease is recorded as ended; its area is free again."), "info")
            return redirect(url_for("spaces.lease", lease_id=lease_id))
    return _render_lease(db.session.get(Lease, lease_id), status, form)


@bp.route("/mine")
@login_required
def mine():
    """Viewings, offers and leases of the user's organisations, on either side."""
    user = current_user
    return render_template("spaces/mine.html",
                           viewings=operations.list_my_viewings(db.session, user),
                           offers=operations.list_my_offers(db.session, user),
                           leases=operations.list_my_leases(db.session, user),
                           org_ids={m.organization_id for m in user.memberships},
                           language=_language())
