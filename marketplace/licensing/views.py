"""Licensing pages: the owner's disclosure and NDA, NDA click-through and the confidential part,
enquiries, offers and counter-offers, agreements, and "my licensing" (with decline feedback)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from listings.models import Technology
from marketplace.auth.current import acting_user
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.feedback import DeclineReason
from marketplace.forms import refuse_on_form
from marketplace.licensing import operations
from marketplace.licensing.forms import (
    ActionForm,
    DeclineForm,
    DisclosureForm,
    EnquiryForm,
    NdaForm,
    OfferForm,
    UploadForm,
)
from marketplace.licensing.models import (
    ConfidentialFile,
    LicenceAgreement,
    LicenceEnquiry,
    LicenceOffer,
)

bp = Blueprint("licensing", __name__, url_prefix="/licensing")

UPLOAD_OVERHEAD = 256 * 1024  # the multipart framing and the CSRF token around a 20 MB file


@bp.url_value_preprocessor
def _allow_large_uploads(endpoint, values) -> None:
    """Confidential files may be up to 20 MB, above the app-wide request limit. This runs before
    any before_request function (CSRF reads the body there), so the limit applies from the
    first byte read; the operation still checks the file's own size."""
    if endpoint == "licensing.upload_file":
        request.max_content_length = operations.MAX_FILE_BYTES + UPLOAD_OVERHEAD


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def _technology(technology_id: int, *, owner: bool = False) -> Technology:
    technology = db.get_or_404(Technology, technology_id)
    if not technology.can_view(current_user):
        abort(404)
    if owner and not technology.can_edit(current_user):
        abort(403)
    return technology


def _offer(offer_id: int) -> LicenceOffer:
    offer = db.get_or_404(LicenceOffer, offer_id)
    if not (offer.is_party(current_user) or current_user.is_officer):
        abort(404)
    return offer


def _organization(form, technology):
    """The organisation chosen on the form, among the user's enquirer organisations."""
    field = getattr(form, "organization_id", None)
    if field is None or not field.data:
        return None
    for organization in operations.enquirer_organizations(current_user, technology):
        if str(organization.id) == str(field.data):
            return organization
    raise DomainError(_("Choose the organisation you act for."), "organization_id")


# ---------------------------------------------------------------------------------------------
# partials' data (templates/licensing/_technology_main.html, _technology_side.html, _nav.html)
@bp.app_template_global("licensing_panel")
def licensing_panel(technology) -> dict:
    """What the technology page shows about licensing, for the current user (worked out once
    per request: the main column and the side card both ask)."""
    cache = g.setdefault("licensing_panels", {})
    if technology.id not in cache:
        cache[technology.id] = _licensing_panel(technology)
    return cache[technology.id]


def _licensing_panel(technology) -> dict:
    session = db.session
    user = current_user
    is_owner = technology.can_edit(user)
    organizations = operations.enquirer_organizations(user, technology)
    threads = []
    for organization in organizations:
        offers = operations.thread_offers(session, technology, organization)
        threads.append({"organization": organization,
                        "enquiry": operations.get_enquiry(session, technology, organization),
                        "open": next((o for o in offers if o.is_open), None),
                        "count": len(offers)})
    agreements = operations.list_agreements(session, technology)
    disclosure = operations.get_disclosure(session, technology)
    return {
        "disclosure": disclosure, "is_owner": is_owner,
        "closed": operations.technology_is_closed(session, technology),
        "can_confidential": operations.can_view_confidential(session, technology, user),
        "acceptance": operations.current_acceptance(session, technology, user),
        "organizations": organizations, "threads": threads,
        "agreements": agreements,
        "visible_agreement_ids": {a.id for a in agreements if a.can_view(user)},
        "open_offers": [o for o in operations.offers_for_organizations(
            session, [technology.organization_id]) if o.technology_id == technology.id
            and o.is_open] if is_owner else [],
        "signed_in": user.is_authenticated,
    }


# ---------------------------------------------------------------------------------------------
# my licensing (dashboard)
@bp.route("/")
@login_required
def index():
    """Enquiries, offers and agreements of my organisations, and the decline feedback."""
    org_ids = [m.organization_id for m in current_user.memberships]
    made, received = operations.enquiries_for_organizations(db.session, org_ids)
    return render_template(
        "licensing/index.html", enquiries_made=made, enquiries_received=received,
        offers=operations.offers_for_organizations(db.session, org_ids),
        agreements=operations.agreements_for_organizations(db.session, org_ids),
        feedback=operations.feedback_summary(db.session, org_ids), reasons=list(DeclineReason),
        org_ids=set(org_ids), decline_form=DeclineForm(formdata=None), language=_language())


# ---------------------------------------------------------------------------------------------
# the owner: disclosure, NDA, files
def _render_disclosure(technology, status=200, form=None, upload_form=None):
    disclosure = operations.get_disclosure(db.session, technology)
    if form is None:
        form = DisclosureForm(formdata=None, obj=disclosure)
    return render_template(
        "licensing/disclosure.html", technology=technology, disclosure=disclosure, form=form,
        upload_form=upload_form or UploadForm(formdata=None),
        files=operations.list_files(db.session, technology), action_form=ActionForm(),
        language=_language()), status


@bp.route("/technologies/<int:technology_id>/disclosure", methods=["GET", "POST"])
@login_required
def edit_disclosure(technology_id: int):
    """The owner edits the summary fields, the confidential text and the NDA."""
    technology = _technology(technology_id, owner=True)
    if request.method == "GET":
        return _render_disclosure(technology)
    form = DisclosureForm()
    if not form.validate_on_submit():
        return _render_disclosure(technology, 400, form)
    try:
        disclosure = operations.update_disclosure(
            db.session, technology, acting_user(), problem=form.problem.data or "",
            advantages=form.advantages.data or "", applications=form.applications.data or "",
            confidential_text=form.confidential_text.data or "",
            nda_text=form.nda_text.data or "", now=utcnow())
    except DomainError as error:
        return _render_disclosure(technology, refuse_on_form(form, error), form)
    db.session.commit()
    flash(_("Saved. The NDA is at version %(version)d.", version=disclosure.nda_version)
          if disclosure.has_nda else _("Saved."), "success")
    return redirect(url_for("licensing.edit_disclosure", technology_id=technology.id))


@bp.route("/technologies/<int:technology_id>/files", methods=["POST"])
@login_required
def upload_file(technology_id: int):
    """The owner adds a confidential file."""
    technology = _technology(technology_id, owner=True)
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_disclosure(technology, 400, upload_form=form)
    upload = form.file.data
    try:
        operations.add_confidential_file(db.session, technology, acting_user(),
                                         filename=upload.filename or "", stream=upload.stream,
                                         now=utcnow())
    except DomainError as error:
        return _render_disclosure(technology, refuse_on_form(form, error), upload_form=form)
    db.session.commit()
    flash(_("File added to the confidential part."), "success")
    return redirect(url_for("licensing.edit_disclosure", technology_id=technology.id))


@bp.route("/files/<int:file_id>/delete", methods=["POST"])
@login_required
def delete_file(file_id: int):
    """The owner removes a confidential file."""
    item = db.get_or_404(ConfidentialFile, file_id)
    technology = _technology(item.technology_id, owner=True)
    if ActionForm().validate_on_submit():
        operations.remove_confidential_file(db.session, item, technology, acting_user())
        db.session.commit()
        flash(_("File removed."), "success")
    return redirect(url_for("licensing.edit_disclosure", technology_id=technology.id))


@bp.route("/files/<int:file_id>")
@login_required
def file(file_id: int):
    """A confidential file, for those who may read the confidential part."""
    item = db.get_or_404(ConfidentialFile, file_id)
    technology = _technology(item.technology_id)
    if not operations.can_view_confidential(db.session, technology, current_user):
        abort(404)
    response = send_from_directory(operations.confidential_dir(), item.stored_name,
                                   mimetype=item.content_type, as_attachment=True,
                                   download_name=item.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------
# enquirers: NDA, confidential part, enquiry
def _render_nda(technology, status=200, form=None):
    disclosure = operations.get_disclosure(db.session, technology)
    if disclosure is None or not disclosure.has_nda:
        abort(404)
    organizations = operations.enquirer_organizations(current_user, technology)
    if form is None:
        form = NdaForm(organizations, formdata=None, version=disclosure.nda_version)
    return render_template(
        "licensing/nda.html", technology=technology, disclosure=disclosure, form=form,
        organizations=organizations,
        acceptance=operations.current_acceptance(db.session, technology, current_user),
        language=_language()), status


@bp.route("/technologies/<int:technology_id>/nda")
@login_required
def nda(technology_id: int):
    """The owner's NDA, to read and accept."""
    return _render_nda(_technology(technology_id))


@bp.route("/technologies/<int:technology_id>/nda/accept", methods=["POST"])
@login_required
def accept_nda(technology_id: int):
    """Accept the NDA (this version) for one of my organisations."""
    technology = _technology(technology_id)
    form = NdaForm(operations.enquirer_organizations(current_user, technology))
    if not form.validate_on_submit():
        return _render_nda(technology, 400, form)
    try:
        operations.accept_nda(db.session, technology, acting_user(), version=form.version.data,
                              organization=_organization(form, technology), now=utcnow())
    except DomainError as error:
        return _render_nda(technology, refuse_on_form(form, error), form)
    db.session.commit()
    flash(_("NDA accepted. The confidential part is open to your organisation."), "success")
    return redirect(url_for("licensing.confidential", technology_id=technology.id))


@bp.route("/technologies/<int:technology_id>/confidential")
@login_required
def confidential(technology_id: int):
    """The confidential text and files (after the NDA)."""
    technology = _technology(technology_id)
    if not operations.can_view_confidential(db.session, technology, current_user):
        disclosure = operations.get_disclosure(db.session, technology)
        if disclosure is None or not disclosure.has_nda:
            abort(404)
        flash(_("Please accept the NDA to read the confidential part."), "info")
        return redirect(url_for("licensing.nda", technology_id=technology.id))
    response = make_response(render_template(
        "licensing/confidential.html", technology=technology,
        disclosure=operations.get_disclosure(db.session, technology),
        files=operations.list_files(db.session, technology),
        acceptance=operations.current_acceptance(db.session, technology, current_user),
        language=_language()))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _render_enquiry(technology, status, form):
    return render_template("licensing/enquiry.html", technology=technology, form=form,
                           language=_language()), status


@bp.route("/technologies/<int:technology_id>/enquiry", methods=["GET", "POST"])
@login_required
def enquire(technology_id: int):
    """Send the owner an enquiry (my organisation's interest)."""
    technology = _technology(technology_id)
    form = EnquiryForm(operations.enquirer_organizations(current_user, technology))
    if request.method == "GET":
        return _render_enquiry(technology, 200, form)
    if not form.validate_on_submit():
        return _render_enquiry(technology, 400, form)
    try:
        operations.send_enquiry(db.session, technology, acting_user(), message=form.message.data,
                                organization=_organization(form, technology), now=utcnow())
    except DomainError as error:
        return _render_enquiry(technology, refuse_on_form(form, error), form)
    db.session.commit()
    flash(_("Enquiry sent to the owner."), "success")
    return redirect(url_for("catalogue.show", listing_id=technology.id))


@bp.route("/enquiries/<int:enquiry_id>/decline", methods=["POST"])
@login_required
def decline_enquiry(enquiry_id: int):
    """The owner declines an enquiry, with a reason."""
    enquiry = db.get_or_404(LicenceEnquiry, enquiry_id)
    technology = enquiry.technology
    if not (technology.organization.is_member(current_user)
            or enquiry.organization.is_member(current_user) or current_user.is_officer):
        abort(404)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render_decline(form, 400, enquiry=enquiry)
    try:
        operations.decline_enquiry(db.session, enquiry, acting_user(), reason=form.reason.data,
                                   note=form.note.data, now=utcnow())
    except DomainError as error:
        return _render_decline(form, refuse_on_form(form, error), enquiry=enquiry)
    db.session.commit()
    flash(_("Enquiry declined."), "success")
    return redirect(url_for("licensing.index"))


def _render_decline(form, status, *, enquiry=None, offer=None):
    return render_template("licensing/decline.html", form=form, enquiry=enquiry, offer=offer,
                           language=_language()), status


# ---------------------------------------------------------------------------------------------
# offers
def _render_new_offer(technology, status, form):
    return render_template(
        "licensing/new_offer.html", technology=technology, form=form,
        closed=operations.technology_is_closed(db.session, technology),
        language=_language()), status


@bp.route("/technologies/<int:technology_id>/offer", methods=["GET", "POST"])
@login_required
def make_offer(technology_id: int):
    """Make an offer with structured terms."""
    technology = _technology(technology_id)
    form = OfferForm(technology, operations.enquirer_organizations(current_user, technology))
    if request.method == "GET":
        return _render_new_offer(technology, 200, form)
    if not form.validate_on_submit():
        return _render_new_offer(technology, 400, form)
    try:
        offer = operations.make_offer(db.session, technology, acting_user(), terms=form.terms(),
                                      message=form.message.data,
                                      organization=_organization(form, technology),
                                      now=utcnow())
    except DomainError as error:
        return _render_new_offer(technology, refuse_on_form(form, error), form)
    db.session.commit()
    flash(_("Offer sent."), "success")
    return redirect(url_for("licensing.offer", offer_id=offer.id))


def _render_offer(offer, status=200, counter_form=None, decline_form=None):
    if counter_form is None:
        counter_form = OfferForm(offer.technology, None, formdata=None)
        counter_form.fill(offer)
    history = operations.thread_offers(db.session, offer.technology, offer.licensee_org)
    agreement = db.session.scalars(
        sa.select(LicenceAgreement).where(LicenceAgreement.offer_id.in_(
            [o.id for o in history]))).first()
    return render_template(
        "licensing/offer.html", offer=offer, technology=offer.technology, history=history,
        agreement=agreement, counter_form=counter_form,
        decline_form=decline_form or DeclineForm(formdata=None), action_form=ActionForm(),
        is_receiver=offer.receiving_org.is_member(current_user),
        is_author=offer.author_org.is_member(current_user), language=_language()), status


@bp.route("/offers/<int:offer_id>")
@login_required
def offer(offer_id: int):
    """One offer, its thread's history and what may be done with it."""
    return _render_offer(_offer(offer_id))


@bp.route("/offers/<int:offer_id>/counter", methods=["POST"])
@login_required
def counter(offer_id: int):
    """Counter the open offer with new terms."""
    offer = _offer(offer_id)
    form = OfferForm(offer.technology, None)
    if not form.validate_on_submit():
        return _render_offer(offer, 400, counter_form=form)
    try:
        new = operations.counter_offer(db.session, offer, acting_user(), terms=form.terms(),
                                       message=form.message.data, now=utcnow())
    except DomainError as error:
        return _render_offer(offer, refuse_on_form(form, error), counter_form=form)
    db.session.commit()
    flash(_("Counter-offer sent."), "success")
    return redirect(url_for("licensing.offer", offer_id=new.id))


@bp.route("/offers/<int:offer_id>/withdraw", methods=["POST"])
@login_required
def withdraw(offer_id: int):
    """Its author takes the open offer back."""
    offer = _offer(offer_id)
    if ActionForm().validate_on_submit():
        operations.withdraw_offer(db.session, offer, acting_user(), now=utcnow())
        db.session.commit()
        flash(_("Offer withdrawn."), "success")
    return redirect(url_for("licensing.offer", offer_id=offer.id))


@bp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@login_required
def accept(offer_id: int):
    """The receiving side accepts: the licence agreement is concluded."""
    offer = _offer(offer_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("licensing.offer", offer_id=offer.id))
    agreement = operations.accept_offer(db.session, offer, acting_user(), now=utcnow())
    db.session.commit()
    flash(_("Offer accepted: agreement %(number)s concluded.", number=agreement.number),
          "success")
    return redirect(url_for("licensing.agreement", agreement_id=agreement.id))


@bp.route("/offers/<int:offer_id>/decline", methods=["POST"])
@login_required
def decline_offer(offer_id: int):
    """The receiving side declines the open offer, with a reason."""
    offer = _offer(offer_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render_offer(offer, 400, decline_form=form)
    try:
        operations.decline_offer(db.session, offer, acting_user(), reason=form.reason.data,
                                 note=form.note.data, now=utcnow())
    except DomainError as error:
        return _render_offer(offer, refuse_on_form(form, error), decline_form=form)
    db.session.commit()
    flash(_("Offer declined."), "success")
    return redirect(url_for("licensing.offer", offer_id=offer.id))


# ---------------------------------------------------------------------------------------------
# agreements
def _agreement(agreement_id: int) -> LicenceAgreement:
    agreement = db.get_or_404(LicenceAgreement, agreement_id)
    if not agreement.can_view(current_user):
        abort(404)
    return agreement


@bp.route("/agreements/<int:agreement_id>")
@login_required
def agreement(agreement_id: int):
    """The licence agreement: parties, terms, number and dates (printable)."""
    agreement = _agreement(agreement_id)
    return render_template("licensing/agreement.html", agreement=agreement, deal=agreement,
                           deal_kind="licence", listing=agreement.technology,
                           language=_language())


@bp.route("/agreements/<int:agreement_id>/print")
@login_required
def print_agreement(agreement_id: int):
    """The agreement as a printable page, always in Chinese."""
    agreement = _agreement(agreement_id)
    with force_locale("zh_CN"):
        return render_template("licensing/print.html", agreement=agreement, language="zh")
