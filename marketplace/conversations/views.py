"""Conversations between two organisations about a listing or a need: messages, attachments, unread counts, blocking and reporting."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, send_from_directory, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from listings.models import Listing
from marketplace.auth.current import acting_user
from marketplace.conversations import operations
from marketplace.conversations.forms import (
    ButtonForm,
    MessageForm,
    ReportConversationForm,
    StartConversationForm,
)
from marketplace.conversations.models import Attachment, Conversation, ConversationReport
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import refuse_on_form
from marketplace.office.views import officer_required
from marketplace.organizations.models import Organization

bp = Blueprint("conversations", __name__, url_prefix="/conversations")


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def _load(conversation_id: int, *, participant: bool = False) -> Conversation:
    """The conversation if the user may see it (else 404); with ``participant``, act in it
    (officers reading a reported conversation get 403: they read, they do not write)."""
    conversation = db.get_or_404(Conversation, conversation_id)
    if not conversation.can_view(current_user):
        abort(404)
    if participant and not conversation.is_participant(current_user):
        abort(403)
    return conversation


def _render_show(conversation: Conversation, status: int = 200, **forms):
    defaults = {"message_form": MessageForm(formdata=None),
                "report_form": ReportConversationForm(formdata=None),
                "button_form": ButtonForm(formdata=None)}
    defaults.update(forms)
    side = conversation.side_of(current_user)
    return render_template(
        "conversations/show.html", conversation=conversation, side=side,
        other=conversation.other_side(side) if side is not None else None,
        language=_language(), **defaults), status


@bp.route("/")
@login_required
def index():
    """My organisations' conversations, with unread counts."""
    return render_template("conversations/index.html", language=_language(),
                           conversations=operations.list_conversations(db.session, acting_user()))


@bp.route("/<int:conversation_id>")
@login_required
def show(conversation_id: int):
    """The conversation and its messages; opening it marks them read for a participant."""
    conversation = _load(conversation_id)
    if conversation.is_participant(current_user) and operations.mark_read(
            db.session, conversation, acting_user()):
        db.session.commit()
    return _render_show(conversation)


@bp.route("/start/<int:listing_id>", methods=["POST"])
@login_required
def start(listing_id: int):
    """Open (or find) the conversation about a listing and go to it."""
    listing = db.get_or_404(Listing, listing_id)
    if not listing.can_view(current_user):
        abort(404)
    form = StartConversationForm()
    if not form.validate_on_submit():
        abort(400)

    def organization(value):
        if not value:
            return None
        found = db.session.get(Organization, int(value))
        if found is None:
            raise DomainError(_("That organisation does not exist."), "with_organization_id")
        return found

    conversation = operations.open_conversation(
        db.session, acting_user(), listing=listing,
        with_organization=organization(form.with_organization_id.data),
        acting_organization=organization(form.acting_organization_id.data))
    db.session.commit()
    return redirect(url_for("conversations.show", conversation_id=conversation.id))


@bp.route("/<int:conversation_id>/messages", methods=["POST"])
@login_required
def post(conversation_id: int):
    """Write a message, optionally with one file."""
    conversation = _load(conversation_id, participant=True)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render_show(conversation, 400, message_form=form)
    upload = form.attachment.data
    files = [(upload.filename, upload.stream)] if upload and upload.filename else []
    try:
        operations.post_message(db.session, conversation, acting_user(), form.body.data,
                                attachments=files)
    except DomainError as error:
        return _render_show(conversation, refuse_on_form(form, error), message_form=form)
    db.session.commit()
    return redirect(url_for("conversations.show", conversation_id=conversation.id) + "#latest")


@bp.route("/<int:conversation_id>/attachments/<int:attachment_id>")
@login_required
def attachment(conversation_id: int, attachment_id: int):
    """A file sent in the conversation, for its participants only, as a download."""
    conversation = db.get_or_404(Conversation, conversation_id)
    item = db.get_or_404(Attachment, attachment_id)
    if item.message.conversation_id != conversation.id or not conversation.is_participant(
            current_user):
        abort(404)
    response = send_from_directory(operations.attachment_dir(), item.storage_name,
                                   mimetype=item.content_type, as_attachment=True,
                                   download_name=item.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:conversation_id>/block", methods=["POST"])
@login_required
def block(conversation_id: int):
    """Block the conversation: the other side can no longer write."""
    conversation = _load(conversation_id, participant=True)
    if ButtonForm().validate_on_submit():
        operations.block_conversation(db.session, conversation, acting_user())
        db.session.commit()
        flash(_("Blocked. The other organisation can no longer write in this conversation."),
              "success")
    return redirect(url_for("conversations.show", conversation_id=conversation.id))


@bp.route("/<int:conversation_id>/unblock", methods=["POST"])
@login_required
def unblock(conversation_id: int):
    """Lift one's own block."""
    conversation = _load(conversation_id, participant=True)
    if ButtonForm().validate_on_submit():
        operations.unblock_conversation(db.session, conversation, acting_user())
        db.session.commit()
        flash(_("Unblocked."), "success")
    return redirect(url_for("conversations.show", conversation_id=conversation.id))


@bp.route("/<int:conversation_id>/report", methods=["POST"])
@login_required
def report(conversation_id: int):
    """Report the conversation to the programme office, saying why."""
    conversation = _load(conversation_id, participant=True)
    form = ReportConversationForm()
    if not form.validate_on_submit():
        return _render_show(conversation, 400, report_form=form)
    try:
        operations.report_conversation(db.session, conversation, acting_user(), form.reason.data)
    except DomainError as error:
        return _render_show(conversation, refuse_on_form(form, error), report_form=form)
    db.session.commit()
    flash(_("Reported. A programme officer will look at this conversation."), "success")
    return redirect(url_for("conversations.show", conversation_id=conversation.id))


@bp.route("/reports/<int:report_id>/handle", methods=["POST"])
@officer_required
def handle_report(report_id: int):
    """An officer marks a report handled."""
    item = db.get_or_404(ConversationReport, report_id)
    if ButtonForm().validate_on_submit():
        operations.handle_report(db.session, item, acting_user())
        db.session.commit()
        flash(_("The report is marked as handled."), "success")
    return redirect(url_for("office.index"))


# ---------------------------------------------------------------------------------------------
# data for the partials other pages include (listing side card, nav, office)
@bp.app_context_processor
def _partials():
    def conversation_contact(listing):
        """What the listing page's contact card offers the signed-in user."""
        user = current_user
        if not (user and user.is_authenticated) or not listing.is_published:
            return {"mode": "anonymous" if not user.is_authenticated else "none"}
        if listing.organization.is_member(user):
            return {"mode": "owner",
                    "conversations": operations.conversations_about(db.session, listing, user)}
        verified = [m.organization for m in user.memberships if m.organization.is_verified]
        if not verified:
            return {"mode": "unverified"}
        existing = {o.id: operations.find_conversation(db.session, listing, o) for o in verified}
        return {"mode": "start", "organizations": verified, "existing": existing,
                "unopened": [o for o in verified if existing[o.id] is None],
                "form": StartConversationForm(formdata=None)}

    def unread_conversations() -> int:
        from marketplace.menu import menu_facts

        return menu_facts().unread_messages

    def reported_conversations():
        if not (current_user.is_authenticated and current_user.is_officer):
            return []
        return operations.list_open_reports(db.session)

    return {"conversation_contact": conversation_contact,
            "unread_conversations": unread_conversations,
            "reported_conversations": reported_conversations,
            "conversation_button_form": ButtonForm}
