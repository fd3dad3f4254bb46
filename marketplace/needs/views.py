"""Enterprise needs (技术需求): proposals that link providers' listings, shortlisting, decline
feedback, solving.

The need itself is a listing: posted, edited, published and archived through ``publishing``, shown
by ``catalogue.show`` (templates/catalogue/show_need.html, whose data comes from the
``need_page`` template global below).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
from sqlalchemy.orm import selectinload

from listings.models import PUBLISHER_KINDS, ListingKind, Need, can_see_needs
from marketplace.auth.current import acting_user
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.forms import refuse_on_form
from marketplace.needs import operations
from marketplace.needs.forms import ActionForm, DeclineProposalForm, ProposeForm, SolveForm
from marketplace.needs.models import OPEN_STATUSES, NeedProposal, ProposalStatus

bp = Blueprint("needs", __name__, url_prefix="/needs")


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def _load_need(need_id: int) -> Need:
    need = db.get_or_404(Need, need_id)
    if not need.can_view(current_user):
        abort(404)
    return need


def _load_proposal(proposal_id: int) -> NeedProposal:
    proposal = db.get_or_404(NeedProposal, proposal_id)
    if not proposal.can_view(current_user):
        abort(404)
    return proposal


# ---------------------------------------------------------------------------------------------
# the need's page (catalogue.show renders show_need.html; these views re-render it on errors)
@dataclass
class NeedPage:
    """What show_need.html shows besides the need itself, for the current user."""

    is_owner: bool = False
    proposals: list = field(default_factory=list)  # the owner's (and officers') view
    own: list = field(default_factory=list)  # the provider's own proposals
    propose_form: ProposeForm | None = None
    can_answer: bool = False  # a verified provider on an open need
    past_deadline: bool = False
    decline_form: DeclineProposalForm | None = None
    solve_form: SolveForm | None = None
    button_form: ActionForm | None = None
    can_converse: bool = False
    open_count: int = 0


@bp.app_template_global()
def need_page(need: Need, propose_form: ProposeForm | None = None,
              decline_form: DeclineProposalForm | None = None) -> NeedPage:
    """The proposals part of a need's page."""
    user = current_user
    page = NeedPage(button_form=ActionForm(formdata=None),
                    can_converse="conversations.start" in current_app.view_functions)
    page.is_owner = need.can_edit(user)
    query = (sa.select(NeedProposal).where(NeedProposal.need_id == need.id)
             .options(selectinload(NeedProposal.listings)).order_by(NeedProposal.id))
    if page.is_owner or (user.is_authenticated and user.is_officer):
        page.proposals = list(db.session.scalars(query))
        page.open_count = sum(1 for p in page.proposals if p.is_open)
        page.decline_form = decline_form or DeclineProposalForm(formdata=None)
        page.solve_form = SolveForm(formdata=None)
    organizations = operations.provider_organizations(user, need)
    if organizations:
        page.own = list(db.session.scalars(query.where(
            NeedProposal.provider_org_id.in_([o.id for o in organizations]))))
        busy = {p.provider_org_id for p in page.own if p.is_open}
        free = [o for o in organizations if o.id not in busy]
        page.past_deadline = operations.is_past_deadline(need, utcnow())
        page.can_answer = need.is_open and not page.past_deadline
        if page.can_answer and free:
            page.propose_form = propose_form or ProposeForm(
                free, operations.linkable_listings(db.session, free), _language(),
                formdata=None)
    return page


def _render_need(need: Need, status: int, **forms):
    from marketplace.catalogue.views import category_label
    from marketplace.publishing.forms import ActionForm as PublishingActionForm

    return render_template("catalogue/show_need.html", listing=need, language=_language(),
                           action_form=PublishingActionForm(formdata=None),
                           category_label=category_label, **forms), status


def _back(need_id: int, anchor: str = "proposals"):
    return redirect(url_for("catalogue.show", listing_id=need_id, _anchor=anchor))


# ---------------------------------------------------------------------------------------------
# providers
@bp.route("/<int:need_id>/proposals", methods=["POST"])
@login_required
def propose(need_id: int):
    """Answer a need with a proposal linking one or more of your listings."""
    need = _load_need(need_id)
    organizations = operations.provider_organizations(current_user, need)
    if not organizations:
        abort(403)
    form = ProposeForm(organizations, operations.linkable_listings(db.session, organizations),
                       _language())
    if not form.validate_on_submit():
        return _render_need(need, 400, propose_form=form)
    earlier = operations.open_proposal_of(db.session, need, form.organization_id.data)
    try:
        proposal = operations.submit_proposal(
            db.session, need, acting_user(), organization_id=form.organization_id.data,
            listing_ids=form.listing_ids.data, message=form.message.data,
            price_fen=form.price_fen.data, now=utcnow())
    except DomainError as error:
        return _render_need(need, refuse_on_form(form, error), propose_form=form)
    is_new = earlier is None or earlier.id != proposal.id
    db.session.commit()
    flash(_("Proposal sent. The enterprise will be told.") if is_new
          else _("Your organisation already has an open proposal on this need."), "success")
    return _back(need.id)


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["POST"])
@login_required
def withdraw(proposal_id: int):
    """Take your open proposal back."""
    proposal = _load_proposal(proposal_id)
    if not proposal.is_provider(current_user):
        abort(403)
    if ActionForm().validate_on_submit():
        operations.withdraw_proposal(db.session, proposal, acting_user(), utcnow())
        db.session.commit()
        flash(_("Proposal withdrawn."), "success")
    return redirect(url_for("needs.proposals"))


# ---------------------------------------------------------------------------------------------
# the need's owner
def _owned_proposal(proposal_id: int) -> NeedProposal:
    proposal = _load_proposal(proposal_id)
    if not proposal.can_manage(current_user):
        abort(403)
    return proposal


@bp.route("/proposals/<int:proposal_id>/shortlist", methods=["POST"])
@login_required
def shortlist(proposal_id: int):
    """Put a proposal on the shortlist."""
    proposal = _owned_proposal(proposal_id)
    if ActionForm().validate_on_submit():
        operations.shortlist_proposal(db.session, proposal, acting_user(), utcnow())
        db.session.commit()
        flash(_("Shortlisted."), "success")
    return _back(proposal.need_id)


@bp.route("/proposals/<int:proposal_id>/decline", methods=["POST"])
@login_required
def decline(proposal_id: int):
    """Decline a proposal with structured feedback."""
    proposal = _owned_proposal(proposal_id)
    form = DeclineProposalForm()
    if not form.validate_on_submit():
        return _render_need(proposal.need, 400, decline_form=form)
    try:
        operations.decline_proposal(db.session, proposal, acting_user(), reason=form.reason.data,
                                    note=form.note.data, now=utcnow())
    except DomainError as error:
        return _render_need(proposal.need, refuse_on_form(form, error), decline_form=form)
    db.session.commit()
    flash(_("Declined. The provider sees your feedback."), "success")
    return _back(proposal.need_id)


@bp.route("/<int:need_id>/solve", methods=["POST"])
@login_required
def solve(need_id: int):
    """Close the need as solved, naming the winning proposal."""
    need = _load_need(need_id)
    if not need.can_edit(current_user):
        abort(403)
    form = SolveForm()
    if not form.validate_on_submit():
        flash(_("Choose the winning proposal."), "danger")
        return _render_need(need, 400)
    try:
        operations.solve_need(db.session, need, acting_user(), proposal_id=form.proposal_id.data,
                              now=utcnow())
    except DomainError as error:
        status = refuse_on_form(form, error)
        flash(str(error.message), "danger")
        return _render_need(need, status)
    db.session.commit()
    flash(_("The need is solved and has left search."), "success")
    return _back(need.id)


# ---------------------------------------------------------------------------------------------
# lists
@bp.route("/mine")
@login_required
def mine():
    """My organisations' needs, with their proposal counts."""
    org_ids = [m.organization_id for m in current_user.memberships]
    needs = list(db.session.scalars(sa.select(Need).where(Need.organization_id.in_(org_ids))
                                    .order_by(Need.updated_at.desc()))) if org_ids else []
    counts: dict[int, dict[str, int]] = {}
    if needs:
        rows = db.session.execute(
            sa.select(NeedProposal.need_id, NeedProposal.status, sa.func.count())
            .where(NeedProposal.need_id.in_([n.id for n in needs]))
            .group_by(NeedProposal.need_id, NeedProposal.status))
        for need_id, status, number in rows:
            entry = counts.setdefault(need_id, {"open": 0, "total": 0})
            entry["total"] += number
            if status in OPEN_STATUSES:
                entry["open"] += number
    can_post = any(m.organization.kind.value in PUBLISHER_KINDS[ListingKind.NEED]
                   for m in current_user.memberships)
    return render_template("needs/mine.html", needs=needs, counts=counts, can_post=can_post,
                           language=_language())


@bp.route("/proposals")
@login_required
def proposals():
    """My organisations' proposals on other organisations' needs, with their status and the
    feedback on declined ones."""
    org_ids = [m.organization_id for m in current_user.memberships]
    items = list(db.session.scalars(
        sa.select(NeedProposal).where(NeedProposal.provider_org_id.in_(org_ids))
        .options(selectinload(NeedProposal.listings), selectinload(NeedProposal.need))
        .order_by(NeedProposal.id.desc()))) if org_ids else []
    return render_template("needs/proposals.html", items=items, language=_language(),
                           button_form=ActionForm(formdata=None), can_search=can_see_needs(
                               current_user), statuses=ProposalStatus)
