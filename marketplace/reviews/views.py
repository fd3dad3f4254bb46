"""Reviews after a completed booking, licence or lease: 1–5 stars and text, one per party per deal, reportable."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.auth.current import acting_user
from marketplace.errors import DomainError, NotFoundError
from marketplace.extensions import db
from marketplace.forms import refuse_on_form
from marketplace.office.views import officer_required
from marketplace.reviews import operations
from marketplace.reviews.forms import ButtonForm, ReportReviewForm, ReviewForm
from marketplace.reviews.models import DealKind, Review

bp = Blueprint("reviews", __name__, url_prefix="/reviews")

DEAL_PAGES = {
    DealKind.BOOKING: ("bookings.show", "booking_id"),
    DealKind.LICENCE: ("licensing.agreement", "agreement_id"),
    DealKind.LEASE: ("spaces.lease", "lease_id"),
}


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def deal_url(kind, deal_id: int) -> str:
    endpoint, argument = DEAL_PAGES[DealKind(kind)]
    try:
        return url_for(endpoint, **{argument: deal_id})
    except Exception:  # noqa: BLE001 — the deal page's slice may not be there yet
        return url_for("reviews.create", deal_kind=str(kind), deal_id=deal_id)


def _load_deal(deal_kind: str, deal_id: int):
    """The deal and what a review needs of it; 404 unless the user is on one of its sides (or
    an officer, who may look but not review: 403 on POST)."""
    try:
        deal = operations.get_deal(db.session, deal_kind, deal_id)
    except NotFoundError:
        abort(404)
    info = operations.describe(deal_kind, deal)
    side = operations.side_of(db.session, info, current_user)
    if side is None and not current_user.is_officer:
        abort(404)
    return deal, info, side


def _render_create(deal, info, side, form, status=200):
    return render_template("reviews/create.html", deal=deal, info=info, side=side, form=form,
                           own=operations.find_review(db.session, info, side.id) if side else None,
                           deal_page=deal_url(info.kind, info.id), language=_language()), status


@bp.route("/<deal_kind>/<int:deal_id>", methods=["GET", "POST"])
@login_required
def create(deal_kind: str, deal_id: int):
    """Review the other side of a done deal (the form is also on the deal's page)."""
    deal, info, side = _load_deal(deal_kind, deal_id)
    form = ReviewForm()
    if not form.is_submitted():
        return _render_create(deal, info, side, ReviewForm(formdata=None))
    if side is None:
        abort(403)
    if not form.validate():
        return _render_create(deal, info, side, form, 400)
    try:
        operations.create_review(db.session, acting_user(), deal_kind=info.kind, deal=deal,
                                 stars=int(form.stars.data), text=form.text.data or "")
    except DomainError as error:
        return _render_create(deal, info, side, form, refuse_on_form(form, error))
    db.session.commit()
    flash(_("Thank you: your review is published."), "success")
    return redirect(deal_url(info.kind, info.id))


def _visible_review(review_id: int) -> Review:
    review = db.get_or_404(Review, review_id)
    if review.is_hidden and not current_user.is_officer:
        abort(404)
    return review


@bp.route("/<int:review_id>/report", methods=["GET", "POST"])
@login_required
def report(review_id: int):
    """Report a review to the programme office, saying why."""
    review = _visible_review(review_id)
    form = ReportReviewForm()
    if form.is_submitted():
        if form.validate():
            try:
                operations.report_review(db.session, review, acting_user(), form.reason.data)
            except DomainError as error:
                status = refuse_on_form(form, error)
            else:
                db.session.commit()
                flash(_("Reported. A programme officer will look at this review."), "success")
                return redirect(url_for("catalogue.show", listing_id=review.listing_id))
        else:
            status = 400
    else:
        form, status = ReportReviewForm(formdata=None), 200
    return render_template("reviews/report.html", review=review, form=form,
                           language=_language()), status


def _moderate(review_id: int, perform, message: str):
    review = db.get_or_404(Review, review_id)
    if ButtonForm().validate_on_submit():
        perform(db.session, review, acting_user())
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("office.index"))


@bp.route("/<int:review_id>/hide", methods=["POST"])
@officer_required
def hide(review_id: int):
    """An officer hides a review (its open reports are closed)."""
    return _moderate(review_id, operations.hide_review, _("The review is hidden."))


@bp.route("/<int:review_id>/dismiss", methods=["POST"])
@officer_required
def dismiss(review_id: int):
    """An officer keeps a review and dismisses its open reports."""
    return _moderate(review_id, operations.dismiss_reports, _("The reports are dismissed."))


# ---------------------------------------------------------------------------------------------
# data for the partials other pages include
@bp.app_context_processor
def _partials():
    def listing_reviews(listing):
        return operations.listing_summary(db.session, listing)

    def organization_reviews(organization):
        return operations.organization_summary(db.session, organization)

    def deal_review(deal_kind, deal):
        """The review box on a deal page: the form, the user's own review, or nothing."""
        info = operations.describe(deal_kind, deal)
        side = operations.side_of(db.session, info, current_user)
        reviews = [r for r in (operations.find_review(db.session, info, org_id)
                               for org_id in info.org_ids) if r is not None and not r.is_hidden]
        own = next((r for r in reviews if side and r.author_org_id == side.id), None)
        subject = None
        if side is not None:
            from marketplace.organizations.models import Organization

            subject = db.session.get(Organization, info.client_org_id
                                     if side.id == info.provider_org_id else info.provider_org_id)
        return {"info": info, "side": side, "own": own, "reviews": reviews, "subject": subject,
                "can_review": side is not None and info.is_done and own is None,
                "form": ReviewForm(formdata=None),
                "action": url_for("reviews.create", deal_kind=info.kind.value, deal_id=info.id)}

    def reported_reviews():
        if not (current_user.is_authenticated and current_user.is_officer):
            return []
        return operations.list_reported(db.session)

    return {"listing_reviews": listing_reviews, "organization_reviews": organization_reviews,
            "deal_review": deal_review, "reported_reviews": reported_reviews,
            "review_button_form": ButtonForm}
