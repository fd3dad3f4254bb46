"""Money pledge pages (筹资金): the pledge panel on the campaign page, the pledge form, one
pledge (with the bank-transfer reference code), "my pledges".

Rules live in ``pledges``; these views load, check, validate, call one operation, commit once.
Online payment: after the pledge (and its pending payment) is committed, the Stripe Checkout
Session is made and the backer sent there.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from listings.models import Campaign, RewardTier
from marketplace.auth.current import acting_user
from marketplace.campaigns import operations as campaigns
from marketplace.campaigns import pledges
from marketplace.campaigns.models import CampaignState
from marketplace.campaigns.pledge_forms import MatchFundForm, PledgeForm
from marketplace.campaigns.pledge_models import Pledge
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.forms import refuse_on_form
from marketplace.organizations.models import Organization
from marketplace.payments import operations as payments
from marketplace.payments.models import PaymentMethod
from marketplace.vouchers.models import ProgrammeStatus, VoucherProgramme

bp = Blueprint("pledges", __name__, url_prefix="/campaigns")


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def stripe_available() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def _organizations(user) -> list[Organization]:
    if not user.is_authenticated:
        return []
    return sorted((m.organization for m in user.memberships), key=lambda o: o.name_zh)


def _units_left(campaign) -> dict:
    return {tier.id: pledges.units_left(db.session, tier) for tier in campaign.reward_tiers}


def _form(campaign, *, fresh: bool = False) -> PledgeForm:
    """The pledge form; ``fresh``: an empty one (the panel), never the request's data. A new
    form gets its one-time request key; a resent one keeps the key it came with."""
    kwargs = {"formdata": None} if fresh else {}
    form = PledgeForm(tiers=campaign.reward_tiers, units_left=_units_left(campaign),
                      organizations=_organizations(current_user), stripe=stripe_available(),
                      **kwargs)
    if fresh or not form.is_submitted():
        form.request_key.data = secrets.token_urlsafe(24)
    return form


def _visible_campaign(campaign_id: int) -> Campaign:
    campaign = db.get_or_404(Campaign, campaign_id)
    if not campaigns.is_visible(campaign):
        abort(404)
    return campaign


# ---------------------------------------------------------------------------------------------
# the panel on the campaign page (templates/campaigns/pledges/_panel.html)
@bp.app_template_global("pledge_panel")
def pledge_panel(campaign) -> dict:
    """What the pledge panel shows: the form (while live), rewards with units left, backers."""
    live = campaigns.state_of(campaign) == CampaignState.LIVE and utcnow() < campaign.deadline
    return {
        "live": live,
        "form": _form(campaign, fresh=True) if live else None,
        "units_left": _units_left(campaign),
        "backers": pledges.list_public_pledges(db.session, campaign),
        "backer_count": pledges.count_backers(db.session, campaign),
        "pledged_fen": pledges.pledged_fen(db.session, campaign),
        "matched_fen": pledges.matched_fen(db.session, campaign),
        "match_fund": pledges.get_match_fund(db.session, campaign),
        "own": current_user.is_authenticated and campaign.organization.is_member(current_user),
    }


# ---------------------------------------------------------------------------------------------
# pledging
@bp.route("/<int:campaign_id>/pledges/new", methods=["GET", "POST"])
@login_required
def create(campaign_id: int):
    """Pledge money to a live campaign, then pay (bank transfer, or online when offered)."""
    campaign = _visible_campaign(campaign_id)
    form = _form(campaign)
    status = 200
    if form.validate_on_submit():
        tier = None
        if form.tier_choice is not None:
            tier = db.session.get(RewardTier, form.tier_choice)
        organization = (db.session.get(Organization, form.organization_choice)
                        if form.organization_choice is not None else None)
        now = utcnow()
        try:
            pledge = pledges.pledge_money(
                db.session, campaign, backer=acting_user(), amount_fen=form.amount.data,
                tier=tier, anonymous=form.anonymous.data, method=form.method.data,
                key=form.request_key.data or "", organization=organization, now=now)
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            return _after_pledge(pledge, now)
    elif form.is_submitted():
        status = 400
    return render_template("campaigns/pledges/new.html", campaign=campaign, form=form,
                           units_left=_units_left(campaign), language=_language()), status


def _after_pledge(pledge: Pledge, now):
    if pledge.created_at != now:
        flash(_("This pledge form had already been sent; here is the pledge it made."), "info")
    payment = pledges.payment_of(db.session, pledge)
    if (payment is not None and payment.method == PaymentMethod.STRIPE and payment.is_pending):
        return _to_checkout(pledge, payment)
    if pledge.created_at == now:
        flash(_("Thank you! Your pledge is recorded; it counts once your payment arrives."),
              "success")
    return redirect(url_for("pledges.show", pledge_id=pledge.id))


def _to_checkout(pledge: Pledge, payment):
    """Stripe Checkout for the committed pending payment; if Stripe cannot be reached, the
    payment page (which offers to try again)."""
    try:
        url = payments.checkout_url(
            db.session, payment,
            success_url=url_for("payments.returned", payment_id=payment.id, _external=True),
            cancel_url=url_for("pledges.show", pledge_id=pledge.id, _external=True))
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("payments.show", payment_id=payment.id))
    db.session.commit()
    return redirect(url, code=303)


# ---------------------------------------------------------------------------------------------
# reading
@bp.route("/pledges/<int:pledge_id>")
@login_required
def show(pledge_id: int):
    """One pledge: its state and, for a bank transfer, how to pay it."""
    pledge = db.get_or_404(Pledge, pledge_id)
    if not pledge.can_view(current_user):
        abort(404)
    payment = pledges.payment_of(db.session, pledge)
    return render_template("campaigns/pledges/show.html", pledge=pledge, payment=payment,
                           payment_page=payment is not None and payment.can_view(current_user),
                           language=_language())


@bp.route("/pledges/mine")
@login_required
def mine():
    """The signed-in user's pledges."""
    return render_template("campaigns/pledges/mine.html",
                           pledges=pledges.list_my_pledges(db.session, current_user),
                           language=_language())


# ---------------------------------------------------------------------------------------------
# the maker's and the officers' view of a campaign's money pledges; matchfunding
def _campaign_for_staff(campaign_id: int) -> Campaign:
    """The campaign, for members of its organisation and officers (403 for others; 404 while
    it is not public)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    allowed = current_user.is_officer or campaign.organization.is_member(current_user)
    if not allowed:
        abort(403 if campaigns.is_visible(campaign) else 404)
    return campaign


def _open_programmes() -> list[VoucherProgramme]:
    return list(db.session.scalars(sa.select(VoucherProgramme).where(
        VoucherProgramme.status == ProgrammeStatus.OPEN).order_by(VoucherProgramme.id)))


def _render_index(campaign, match_form=None, status: int = 200):
    rows = [(p, pledges.payment_of(db.session, p)) for p in pledges.list_pledges(db.session, campaign)]
    if match_form is None and current_user.is_officer:
        match_form = MatchFundForm(formdata=None, programmes=_open_programmes())
    return render_template("campaigns/pledges/index.html", campaign=campaign, rows=rows,
                           pledged_fen=pledges.pledged_fen(db.session, campaign),
                           match_fund=pledges.get_match_fund(db.session, campaign),
                           match_form=match_form, language=_language()), status


@bp.route("/<int:campaign_id>/pledges")
@login_required
def index(campaign_id: int):
    """Every money pledge of a campaign, with its payment (to confirm bank transfers)."""
    return _render_index(_campaign_for_staff(campaign_id))


@bp.route("/<int:campaign_id>/match-fund", methods=["POST"])
@login_required
def match_fund(campaign_id: int):
    """An officer lets a programme match the campaign's money pledges 1:1 up to a cap."""
    campaign = _campaign_for_staff(campaign_id)
    if not current_user.is_officer:
        abort(403)
    form = MatchFundForm(programmes=_open_programmes())
    status = 400
    if form.validate_on_submit():
        programme = db.session.get(VoucherProgramme, int(form.programme_id.data))
        try:
            pledges.set_match_fund(db.session, campaign, programme, cap_fen=form.cap.data,
                                   officer=acting_user(), now=utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Matchfunding is set up for this campaign."), "success")
            return redirect(url_for("pledges.index", campaign_id=campaign.id))
    return _render_index(campaign, form, status)
