"""Campaign pages: the public page, the maker's dashboard, the officer's review."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from listings.models import Campaign, Instrument, Listing, ListingKind, ListingStatus
from marketplace.auth.current import acting_user
from marketplace.bookings import operations as bookings
from marketplace.campaigns import operations
from marketplace.campaigns.forms import (
    ActionForm,
    AnswerForm,
    DeclineForm,
    ExpertiseOfferForm,
    PledgedBookingForm,
    QuestionForm,
    ResourcePledgeForm,
    SendBackForm,
    SubmitCampaignForm,
    UpdateForm,
    optional_int,
)
from marketplace.campaigns.models import (
    CampaignQuestion,
    CampaignRun,
    CampaignState,
    CampaignUpdate,
    ExpertiseOffer,
    PledgedHours,
    ResourcePledge,
)
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.forms import refuse_on_form
from marketplace.office.views import officer_required

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def _load(campaign_id: int, *, maker: bool = False) -> Campaign:
    """The campaign if the user may see it (else 404) and, with ``maker``, run it (else 403)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    if not campaign.can_view(current_user):
        abort(404)
    if maker and not campaign.can_edit(current_user):
        abort(403)
    return campaign


def _my_organizations():
    if not current_user.is_authenticated:
        return []
    return sorted((m.organization for m in current_user.memberships), key=lambda o: o.name_zh)


def _my_listings(organizations):
    if not organizations:
        return []
    return list(db.session.scalars(sa.select(Listing).where(
        Listing.organization_id.in_([o.id for o in organizations]),
        Listing.kind.in_([ListingKind.INSTRUMENT, ListingKind.SPACE]),
        Listing.status == ListingStatus.PUBLISHED).order_by(Listing.id)))


def _render_show(campaign: Campaign, status: int = 200, **forms):
    organizations = _my_organizations()
    defaults = {
        "offer_form": ExpertiseOfferForm(campaign, organizations, formdata=None),
        "pledge_form": ResourcePledgeForm(campaign, organizations, _my_listings(organizations),
                                          formdata=None),
        "question_form": QuestionForm(formdata=None),
        "answer_form": AnswerForm(formdata=None),
        "update_form": UpdateForm(formdata=None),
    }
    defaults.update(forms)
    updates = db.session.scalars(sa.select(CampaignUpdate).where(
        CampaignUpdate.campaign_id == campaign.id).order_by(CampaignUpdate.id.desc())).all()
    questions = db.session.scalars(sa.select(CampaignQuestion).where(
        CampaignQuestion.campaign_id == campaign.id).order_by(CampaignQuestion.id)).all()
    return render_template(
        "campaigns/show.html", campaign=campaign, run=campaign.run,
        state=operations.state_of(campaign), progress=operations.progress(db.session, campaign),
        updates=updates, questions=questions, is_maker=campaign.can_edit(current_user),
        language=_language(), now=utcnow(), **defaults), status


@bp.route("/<int:campaign_id>")
def show(campaign_id: int):
    """The campaign page: progress, updates, questions, and ways to contribute."""
    return _render_show(_load(campaign_id))


# ---------------------------------------------------------------------------------------------
# the maker
def _render_manage(campaign: Campaign, status: int = 200, **forms):
    defaults = {"submit_form": SubmitCampaignForm(formdata=None,
                                                  duration_days=_suggested_days(campaign)),
                "action_form": ActionForm(formdata=None),
                "decline_form": DeclineForm(formdata=None)}
    defaults.update(forms)
    offers = db.session.scalars(sa.select(ExpertiseOffer).where(
        ExpertiseOffer.campaign_id == campaign.id).order_by(ExpertiseOffer.id)).all()
    pledges = db.session.scalars(sa.select(ResourcePledge).where(
        ResourcePledge.campaign_id == campaign.id).order_by(ResourcePledge.id)).all()
    grants = db.session.scalars(sa.select(PledgedHours).where(
        PledgedHours.campaign_id == campaign.id).order_by(PledgedHours.id)).all()
    return render_template(
        "campaigns/manage.html", campaign=campaign, run=campaign.run,
        state=operations.state_of(campaign), progress=operations.progress(db.session, campaign),
        offers=offers, pledges=pledges, grants=grants, language=_language(), **defaults), status


def _suggested_days(campaign: Campaign) -> int:
    if campaign.run is not None and campaign.run.duration_days:
        return campaign.run.duration_days
    days = (campaign.deadline - utcnow()).days
    return min(max(days, 1), 60)


@bp.route("/<int:campaign_id>/manage")
@login_required
def manage(campaign_id: int):
    """The maker's dashboard: the life cycle, offers and pledges to answer, pledged hours."""
    return _render_manage(_load(campaign_id, maker=True))


@bp.route("/<int:campaign_id>/submit", methods=["POST"])
@login_required
def submit(campaign_id: int):
    """Send the draft for review, with its duration."""
    campaign = _load(campaign_id, maker=True)
    form = SubmitCampaignForm()
    if form.validate_on_submit():
        try:
            operations.submit_campaign(db.session, campaign, acting_user(),
                                       form.duration_days.data, utcnow())
        except DomainError as error:
            return _render_manage(campaign, refuse_on_form(form, error), submit_form=form)
        db.session.commit()
        flash(_("Submitted for review. A programme officer will look at it."), "success")
        return redirect(url_for("campaigns.manage", campaign_id=campaign.id))
    return _render_manage(campaign, 400, submit_form=form)


@bp.route("/<int:campaign_id>/launch", methods=["POST"])
@login_required
def launch(campaign_id: int):
    """Take the approved campaign live."""
    campaign = _load(campaign_id, maker=True)
    if ActionForm().validate_on_submit():
        operations.launch_campaign(db.session, campaign, acting_user(), utcnow())
        db.session.commit()
        flash(_("The campaign is live."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


def _decide(model, item_id: int, accept: bool):
    item = db.get_or_404(model, item_id)
    campaign = _load(item.campaign_id, maker=True)
    form = ActionForm() if accept else DeclineForm()
    if not form.validate_on_submit():
        return _render_manage(campaign, 400, **({} if accept else {"decline_form": form}))
    try:
        operations.decide_contribution(db.session, item, acting_user(), accept,
                                       "" if accept else form.reason.data, utcnow())
    except DomainError as error:
        status = refuse_on_form(form, error)
        return _render_manage(campaign, status, **({} if accept else {"decline_form": form}))
    db.session.commit()
    flash(_("Accepted.") if accept else _("Declined."), "success")
    return redirect(url_for("campaigns.manage", campaign_id=campaign.id))


@bp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@login_required
def accept_offer(offer_id: int):
    """Accept an expertise offer."""
    return _decide(ExpertiseOffer, offer_id, True)


@bp.route("/offers/<int:offer_id>/decline", methods=["POST"])
@login_required
def decline_offer(offer_id: int):
    """Decline an expertise offer, saying why."""
    return _decide(ExpertiseOffer, offer_id, False)


@bp.route("/resource-pledges/<int:pledge_id>/accept", methods=["POST"])
@login_required
def accept_pledge(pledge_id: int):
    """Accept a resource pledge."""
    return _decide(ResourcePledge, pledge_id, True)


@bp.route("/resource-pledges/<int:pledge_id>/decline", methods=["POST"])
@login_required
def decline_pledge(pledge_id: int):
    """Decline a resource pledge, saying why."""
    return _decide(ResourcePledge, pledge_id, False)


@bp.route("/<int:campaign_id>/updates", methods=["POST"])
@login_required
def post_update(campaign_id: int):
    """Post an update; the backers get it by e-mail."""
    campaign = _load(campaign_id, maker=True)
    form = UpdateForm()
    if form.validate_on_submit():
        try:
            operations.post_update(db.session, campaign, acting_user(), form.title.data,
                                   form.body.data, utcnow())
        except DomainError as error:
            return _render_show(campaign, refuse_on_form(form, error), update_form=form)
        db.session.commit()
        flash(_("Update posted and e-mailed to the backers."), "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _render_show(campaign, 400, update_form=form)


@bp.route("/questions/<int:question_id>/answer", methods=["POST"])
@login_required
def answer(question_id: int):
    """The maker answers a question."""
    question = db.get_or_404(CampaignQuestion, question_id)
    campaign = _load(question.campaign_id, maker=True)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            operations.answer_question(db.session, question, acting_user(), form.answer.data,
                                       utcnow())
        except DomainError as error:
            return _render_show(campaign, refuse_on_form(form, error), answer_form=form)
        db.session.commit()
        flash(_("Answer posted."), "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _render_show(campaign, 400, answer_form=form)


# ---------------------------------------------------------------------------------------------
# everyone signed in
@bp.route("/<int:campaign_id>/expertise", methods=["POST"])
@login_required
def offer_expertise(campaign_id: int):
    """Offer hours of a skill."""
    campaign = _load(campaign_id)
    form = ExpertiseOfferForm(campaign, _my_organizations())
    if form.validate_on_submit():
        try:
            operations.offer_expertise(
                db.session, campaign, acting_user(), skill=form.skill.data, hours=form.hours.data,
                note=form.note.data, need_id=optional_int(form.need_id.data),
                organization_id=optional_int(form.organization_id.data), now=utcnow())
        except DomainError as error:
            return _render_show(campaign, refuse_on_form(form, error), offer_form=form)
        db.session.commit()
        flash(_("Thank you: the maker will answer your offer."), "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _render_show(campaign, 400, offer_form=form)


@bp.route("/<int:campaign_id>/resources", methods=["POST"])
@login_required
def pledge_resource(campaign_id: int):
    """Pledge equipment, space, materials or instrument hours."""
    campaign = _load(campaign_id)
    organizations = _my_organizations()
    form = ResourcePledgeForm(campaign, organizations, _my_listings(organizations))
    if form.validate_on_submit():
        try:
            operations.pledge_resource(
                db.session, campaign, acting_user(), kind=form.kind.data,
                description=form.description.data, quantity=form.quantity.data,
                hours=form.hours.data, listing_id=optional_int(form.listing_id.data),
                need_id=optional_int(form.need_id.data),
                organization_id=optional_int(form.organization_id.data), note=form.note.data,
                now=utcnow())
        except DomainError as error:
            return _render_show(campaign, refuse_on_form(form, error), pledge_form=form)
        db.session.commit()
        flash(_("Thank you: the maker will answer your pledge."), "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _render_show(campaign, 400, pledge_form=form)


@bp.route("/<int:campaign_id>/questions", methods=["POST"])
@login_required
def ask(campaign_id: int):
    """Ask the maker a question."""
    campaign = _load(campaign_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            operations.ask_question(db.session, campaign, acting_user(), form.question.data,
                                    utcnow())
        except DomainError as error:
            return _render_show(campaign, refuse_on_form(form, error), question_form=form)
        db.session.commit()
        flash(_("Question sent to the maker."), "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _render_show(campaign, 400, question_form=form)


# ---------------------------------------------------------------------------------------------
# the officer
@bp.route("/review")
@officer_required
def review():
    """Campaigns awaiting review."""
    runs = db.session.scalars(sa.select(CampaignRun).where(
        CampaignRun.state == CampaignState.SUBMITTED).order_by(CampaignRun.submitted_at)).all()
    return render_template("campaigns/review.html", runs=runs, language=_language(),
                           action_form=ActionForm(formdata=None),
                           send_back_form=SendBackForm(formdata=None))


@bp.route("/<int:campaign_id>/approve", methods=["POST"])
@officer_required
def approve(campaign_id: int):
    """Approve a submitted campaign."""
    campaign = db.get_or_404(Campaign, campaign_id)
    if ActionForm().validate_on_submit():
        operations.approve_campaign(db.session, campaign, acting_user(), utcnow())
        db.session.commit()
        flash(_("Approved: the maker can take it live."), "success")
    return redirect(url_for("campaigns.review"))


@bp.route("/<int:campaign_id>/send-back", methods=["POST"])
@officer_required
def send_back(campaign_id: int):
    """Send a submitted campaign back to the maker with reasons."""
    campaign = db.get_or_404(Campaign, campaign_id)
    form = SendBackForm()
    if form.validate_on_submit():
        try:
            operations.send_back_campaign(db.session, campaign, acting_user(),
                                          form.reasons.data, utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Sent back to the maker."), "success")
            return redirect(url_for("campaigns.review"))
    else:
        status = 400
    runs = db.session.scalars(sa.select(CampaignRun).where(
        CampaignRun.state == CampaignState.SUBMITTED).order_by(CampaignRun.submitted_at)).all()
    return render_template("campaigns/review.html", runs=runs, language=_language(),
                           action_form=ActionForm(formdata=None), send_back_form=form,
                           failed_id=campaign.id), status


# ---------------------------------------------------------------------------------------------
# free pledged instrument hours
@bp.route("/pledged-hours/<int:grant_id>/book", methods=["GET", "POST"])
@login_required
def book_pledged(grant_id: int):
    """Book pledged hours of an instrument for free (the booking flow of step 3)."""
    grant = db.get_or_404(PledgedHours, grant_id)
    if not grant.organization.is_member(current_user):
        abort(404)
    instrument = db.get_or_404(Instrument, grant.instrument_id)
    form = PledgedBookingForm()
    if not form.is_submitted():
        form.request_key.data = secrets.token_urlsafe(24)
    elif form.validate_on_submit():
        starts_at, ends_at = form.times()
        try:
            booking = bookings.create_booking(
                instrument, grant.organization, acting_user(), starts_at, ends_at,
                programme=None, purpose=form.purpose.data, request_key=form.request_key.data,
                now=utcnow(), use_pledged_hours=True)
        except DomainError as error:
            status = refuse_on_form(form, error)
            return render_template("campaigns/book_pledged.html", grant=grant, form=form,
                                   instrument=instrument, language=_language()), status
        db.session.commit()
        flash(_("Booked with pledged hours, free of charge."), "success")
        return redirect(url_for("bookings.show", booking_id=booking.id))
    status = 400 if form.errors else 200
    return render_template("campaigns/book_pledged.html", grant=grant, form=form,
                           instrument=instrument, language=_language()), status

