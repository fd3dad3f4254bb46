"""The recommendation panels and their two actions.

Panels (partials included by other pages, fed by the template globals below): "recommended for
you" on the dashboard, per verified enterprise or maker team of the user and per kind; "could
solve this need" on a need's page for its owner; "enterprises likely to need it" on a listing's
page for the listing's organisation. Actions: "not relevant" with a reason (a negative signal,
the item leaves the panel) and "invite" (opens a conversation with a discoverable enterprise).
The ranking and the reasons come from ``service``; the rules from ``operations``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Blueprint, abort, after_this_request, flash, jsonify, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from listings.models import Listing, ListingKind
from marketplace.auth.current import acting_user
from marketplace.conversations import operations as conversations
from marketplace.errors import DomainError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import Organization, OrganizationKind
from marketplace.recommendations import operations, service
from marketplace.recommendations.forms import PANEL_KINDS, InviteForm, NotRelevantForm

log = logging.getLogger(__name__)

bp = Blueprint("recommendations", __name__, url_prefix="/recommendations")

# the parties the recommender serves (they post needs and use the four kinds of listing)
PARTY_KINDS = (OrganizationKind.ENTERPRISE, OrganizationKind.MAKER)
PANEL_SIZE = 10


def party_organizations(user) -> list[Organization]:
    """The user's verified enterprises and maker teams, by name."""
    if not (user and user.is_authenticated):
        return []
    return sorted((m.organization for m in user.memberships
                   if m.organization.is_verified and m.organization.kind in PARTY_KINDS),
                  key=lambda o: o.name_zh)


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _unavailable(what: str, error: Exception) -> None:
    """A panel that cannot be worked out must not take its page down: log it, say so."""
    db.session.rollback()
    log.exception("recommendations unavailable (%s): %s", what, error)


# ---------------------------------------------------------------------------------------------
# the panels' data
@dataclass
class DashboardPanel:
    organizations: list = field(default_factory=list)
    organization: Organization | None = None
    kind: str = ""  # "" = all kinds
    kinds: list = field(default_factory=list)  # (value, label) for the tabs
    language: str = "zh"
    items: list = field(default_factory=list)
    content_only: bool = False  # the model runs on descriptions only (no trained artifact)
    unavailable: bool = False
    form: NotRelevantForm | None = None


@bp.app_template_global()
def recommendation_panel() -> DashboardPanel:
    """"Recommended for you" for the organisation and kind chosen in the query string."""
    panel = DashboardPanel(organizations=party_organizations(current_user), language=_language(),
                           kinds=[(kind, ListingKind(kind).label) for kind in PANEL_KINDS])
    if not panel.organizations:
        return panel
    chosen = _int_arg("rec_org")
    panel.organization = next((o for o in panel.organizations if o.id == chosen),
                              panel.organizations[0])
    kind = request.args.get("rec_kind", "")
    panel.kind = kind if kind in PANEL_KINDS else ""
    panel.form = NotRelevantForm(formdata=None, kind=panel.kind)
    try:
        panel.items = service.recommend_for_organization(
            panel.organization, kinds=[panel.kind] if panel.kind else None, limit=PANEL_SIZE)
        panel.content_only = service.model_status().get("mode") != "hybrid"
        _count_impressions(panel.organization.id, [item.listing.id for item in panel.items],
                           "dashboard")
    except Exception as error:  # noqa: BLE001 — logged with its traceback, the page says so
        _unavailable(f"organization {panel.organization.id}", error)
        panel.items, panel.unavailable = [], True
    return panel


@dataclass
class ListingPanel:
    mode: str = ""  # "need" (could solve it) | "enterprises" (likely to need it) | "" (none)
    items: list = field(default_factory=list)
    conversations: dict = field(default_factory=dict)  # organization id -> open conversation
    unavailable: bool = False
    form: InviteForm | None = None


@bp.app_template_global()
def listing_recommendations(listing) -> ListingPanel:
    """The owner side of a listing's page: solutions for a need, enterprises for a listing."""
    panel = ListingPanel()
    if not (listing.is_published and listing.can_edit(current_user)):
        return panel
    try:
        if listing.kind == ListingKind.NEED:
            panel.mode = "need"
            panel.items = service.recommend_for_need(listing, limit=PANEL_SIZE)
            _count_impressions(listing.organization_id, [item.listing.id for item in panel.items],
                               "need")
        else:
            panel.mode = "enterprises"
            panel.form = InviteForm(formdata=None)
            panel.items = service.enterprises_for_listing(listing, limit=PANEL_SIZE)
            panel.conversations = {
                match.organization.id: conversations.find_conversation(
                    db.session, listing, match.organization) for match in panel.items}
    except Exception as error:  # noqa: BLE001 — logged with its traceback, the page says so
        _unavailable(f"listing {listing.id}", error)
        panel.items, panel.unavailable = [], True
    return panel


def _count_impressions(organization_id: int, listing_ids: list[int], panel: str) -> None:
    """Count the panel's items as shown (statistics: click-through), once the page is rendered;
    a database error loses the count, never the page."""
    if not listing_ids:
        return

    @after_this_request
    def _record(response):
        from marketplace.statistics import recording

        if response.status_code >= 400:
            return response
        try:
            recording.record_impressions(db.session, organization_id, listing_ids, panel,
                                         utcnow())
            db.session.commit()
        except sa.exc.SQLAlchemyError as error:
            db.session.rollback()
            log.warning("impressions of panel %s not recorded: %s", panel, error)
        return response


def record_listing_view(listing, user) -> None:
    """Count the view of a published listing by a verified enterprise's member (a training
    signal), once per organisation and day; reached from a recommendation panel's link
    (``?via=rec``) it is also a click (statistics). Called by the listing page; it never fails
    it."""
    if not (listing.is_published and listing.kind.value in PANEL_KINDS):
        return
    organizations = [o for o in party_organizations(user) if o.id != listing.organization_id]
    if not organizations:
        return
    try:
        from marketplace.statistics import recording

        for organization in organizations:
            operations.record_view(db.session, organization, listing, utcnow())
            if request.args.get("via") == "rec":
                recording.record_click(db.session, organization.id, listing.id, utcnow())
        db.session.commit()
    except (sa.exc.IntegrityError, sa.exc.OperationalError) as error:
        # the same view recorded at the same moment by another request, or a busy database:
        # the page matters more than one view
        db.session.rollback()
        log.warning("view of listing %s by user %s not recorded: %s", listing.id, user.id,
                    error)


# ---------------------------------------------------------------------------------------------
# actions
def _wants_json() -> bool:
    best = request.accept_mimetypes.best
    return best == "application/json" and not request.accept_mimetypes.accept_html


@bp.route("/<int:organization_id>/not-relevant/<int:listing_id>", methods=["POST"])
@login_required
def not_relevant(organization_id: int, listing_id: int):
    """Mark a recommended listing as not relevant to your organisation, with a reason."""
    organization = db.get_or_404(Organization, organization_id)
    if not organization.can_view(current_user):
        abort(404)
    if not organization.is_member(current_user):
        abort(403)
    listing = db.get_or_404(Listing, listing_id)
    if not listing.can_view(current_user):
        abort(404)
    form = NotRelevantForm()
    if not form.validate_on_submit():
        errors = form.reason.errors or form.kind.errors
        raise DomainError(errors[0] if errors else _("Choose why it is not relevant."), "reason")
    operations.mark_not_relevant(db.session, organization, listing, form.reason.data,
                                 acting_user(), utcnow())
    db.session.commit()
    if _wants_json():
        return jsonify(ok=True)
    flash(_("“%(title)s” will not be recommended to %(name)s again. Thank you.",
            title=listing.title_for(_language()), name=organization.name_zh), "success")
    return redirect(url_for("main.dashboard", rec_org=organization.id,
                            rec_kind=form.kind.data or None, _anchor="recommendations"))


@bp.route("/listings/<int:listing_id>/invite/<int:organization_id>", methods=["POST"])
@login_required
def invite(listing_id: int, organization_id: int):
    """Invite an enterprise that may need your listing: opens (or finds) the conversation."""
    listing = db.get_or_404(Listing, listing_id)
    if not listing.can_view(current_user):
        abort(404)
    if not listing.can_edit(current_user):
        raise NotAllowedError(_("Only members of the listing's organisation can invite."))
    organization = db.get_or_404(Organization, organization_id)
    if not organization.can_view(current_user):
        abort(404)
    if listing.kind == ListingKind.NEED:
        raise DomainError(_("Invitations are sent from instruments, technologies, spaces and "
                            "campaigns, not from needs."))
    if organization.id == listing.organization_id or not (organization.is_verified
                                                          and organization.discoverable):
        raise NotAllowedError(_("This organisation cannot be invited through recommendations: "
                                "it has not agreed to be found by providers."))
    if not InviteForm().validate_on_submit():
        abort(400)
    conversation = conversations.open_conversation(db.session, acting_user(), listing=listing,
                                                   with_organization=organization)
    db.session.commit()
    flash(_("Write your invitation to %(name)s.", name=organization.name_zh), "success")
    return redirect(url_for("conversations.show", conversation_id=conversation.id))
