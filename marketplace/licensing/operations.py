"""Technology licensing operations.

Invariants:
* every change to a technology's offers or agreements first locks the technology row
  (``transactions.lock``): two accepts, or an accept racing a withdraw, are serialised, and the
  second sees the first one's result (one agreement per offer, at most one open offer per thread);
* a technology is *closed* while an exclusive licence or an assignment of it is in force or
  awaiting payment: no new offer, counter-offer or agreement; concluding such an agreement closes
  every other open offer of that technology;
* the confidential part is shown only to members of an organisation that accepted the current NDA
  version, the owner's members and officers; a new NDA version needs a new acceptance.
Lock order: technology → offer.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from listings.models import LicensingMode, Technology
from marketplace.audit import record_audit
from marketplace.errors import ConflictError, DomainError, NotAllowedError, NotFoundError
from marketplace.extensions import utcnow
from marketplace.feedback import MAX_FEEDBACK_NOTE, DeclineReason
from marketplace.licensing.models import (
    CLOSING_MODES,
    MAX_ROYALTY_BP,
    MAX_TERM_YEARS,
    ConfidentialFile,
    LicenceAgreement,
    LicenceEnquiry,
    LicenceOffer,
    LicenceStatus,
    NdaAcceptance,
    OfferStatus,
    TechnologyDisclosure,
)
from marketplace.mail import send_mail
from marketplace.post_commit import after_commit, after_rollback
from marketplace.transactions import begin_write, lock
from marketplace.uploads import DOCX, JPEG, PDF, PNG, sniff_document
from marketplace.urls import external_url

log = logging.getLogger(__name__)

LIVE_STATUSES = (LicenceStatus.AWAITING_PAYMENT, LicenceStatus.IN_FORCE)
MAX_FEE_FEN = 100_000_000_000  # ¥1 billion
MAX_MILESTONES = 20
MAX_FIELD_OF_USE = 300
MAX_TERRITORY = 200
MAX_MILESTONE_TITLE = 200
MAX_TEXT = 20_000
MAX_MESSAGE = 4000
MAX_FILES = 20
MAX_FILE_BYTES = 20 * 1024 * 1024


class TechnologyClosedError(ConflictError):
    code = "technology_closed"


# ---------------------------------------------------------------------------------------------
# reading
def list_agreements(session: Session, technology) -> list[LicenceAgreement]:
    return list(session.scalars(
        sa.select(LicenceAgreement).where(LicenceAgreement.technology_id == technology.id)
        .order_by(LicenceAgreement.concluded_at, LicenceAgreement.id)))


def live_agreements(session: Session, technology) -> list[LicenceAgreement]:
    return list(session.scalars(
        sa.select(LicenceAgreement).where(LicenceAgreement.technology_id == technology.id,
                                          LicenceAgreement.status.in_(LIVE_STATUSES))
        .order_by(LicenceAgreement.id)))


def technology_is_closed(session: Session, technology) -> bool:
    """An exclusive licence or an assignment of it is in force or awaiting payment."""
    return any(a.mode in CLOSING_MODES for a in live_agreements(session, technology))


# ---------------------------------------------------------------------------------------------
# terms
def clean_terms(terms: dict) -> dict:
    """The agreement/offer term fields, checked; raises DomainError naming the field."""
    try:
        mode = LicensingMode(terms.get("mode"))
    except ValueError:
        raise DomainError(_("Choose a licensing mode."), "mode") from None
    field_of_use = (terms.get("field_of_use") or "").strip()
    territory = (terms.get("territory") or "").strip()
    if len(field_of_use) > MAX_FIELD_OF_USE:
        raise DomainError(_("The field of use is too long."), "field_of_use")
    if len(territory) > MAX_TERRITORY:
        raise DomainError(_("The territory is too long."), "territory")
    term_years = terms.get("term_years")
    if not _is_int(term_years) or not 1 <= term_years <= MAX_TERM_YEARS:
        raise DomainError(_("The term must be between 1 and %(max)s years.", max=MAX_TERM_YEARS),
                          "term_years")
    fee = terms.get("upfront_fee_fen", 0)
    if not _is_int(fee) or not 0 <= fee <= MAX_FEE_FEN:
        raise DomainError(_("Enter an upfront fee between ¥0 and ¥1,000,000,000."),
                          "upfront_fee")
    royalty = terms.get("royalty_bp", 0)
    if not _is_int(royalty) or not 0 <= royalty <= MAX_ROYALTY_BP:
        raise DomainError(_("The royalty must be between 0 and 100 percent."), "royalty")
    milestones = _clean_milestones(terms.get("milestones") or [])
    return {"mode": mode, "field_of_use": field_of_use, "territory": territory,
            "term_years": term_years, "upfront_fee_fen": fee, "royalty_bp": royalty,
            "milestones": milestones}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_milestones(rows) -> list[dict]:
    if not isinstance(rows, list | tuple) or len(rows) > MAX_MILESTONES:
        raise DomainError(_("At most %(max)s milestones.", max=MAX_MILESTONES), "milestones")
    cleaned = []
    for row in rows:
        title = (row.get("title") or "").strip() if isinstance(row, dict) else ""
        amount = row.get("amount_fen") if isinstance(row, dict) else None
        due = row.get("due") if isinstance(row, dict) else None
        if not title or len(title) > MAX_MILESTONE_TITLE:
            raise DomainError(_("Each milestone needs a title (at most 200 characters)."),
                              "milestones")
        if not _is_int(amount) or not 0 <= amount <= MAX_FEE_FEN:
            raise DomainError(_("Each milestone needs an amount between ¥0 and ¥1,000,000,000."),
                              "milestones")
        if isinstance(due, date):
            due = due.isoformat()
        elif due:
            try:
                due = date.fromisoformat(str(due)).isoformat()
            except ValueError:
                raise DomainError(_("A milestone's due date is not a date."),
                                  "milestones") from None
        else:
            due = None
        cleaned.append({"title": title, "amount_fen": amount, "due": due})
    return cleaned


# ---------------------------------------------------------------------------------------------
# agreements
def conclude_agreement(session: Session, *, technology, licensee_org, terms: dict, offer=None,
                       express: bool = False, now: datetime | None = None) -> LicenceAgreement:
    """Conclude a licence agreement of ``technology`` with ``licensee_org`` on ``terms``.

    Locks the technology; refuses if it is closed (or if an exclusive licence / assignment is
    asked for while other licences live); awaiting payment when there is an upfront fee, else in
    force. An exclusive licence or an assignment closes every other open offer."""
    now = now or utcnow()
    technology = lock(session, Technology, technology.id)
    if technology is None:
        raise DomainError(_("This technology no longer exists."))
    if licensee_org.id == technology.organization_id:
        raise DomainError(_("An organisation cannot license its own technology."))
    terms = clean_terms(terms)
    live = live_agreements(session, technology)
    if any(a.mode in CLOSING_MODES for a in live):
        raise TechnologyClosedError(_("This technology has been licensed exclusively or "
                                      "assigned; it takes no further offers."))
    if terms["mode"] in CLOSING_MODES and any(
            a.mode != LicensingMode.JOINT_DEVELOPMENT for a in live):
        raise TechnologyClosedError(_("Other licences of this technology are in force, so it can "
                                      "no longer be licensed exclusively or assigned."), "mode")
    status = (LicenceStatus.AWAITING_PAYMENT if terms["upfront_fee_fen"] > 0
              else LicenceStatus.IN_FORCE)
    agreement = LicenceAgreement(
        number=f"tmp-{uuid.uuid4().hex}", technology_id=technology.id,
        licensor_org_id=technology.organization_id, licensee_org_id=licensee_org.id,
        offer_id=offer.id if offer is not None else None, express=bool(express), status=status,
        concluded_at=now, paid_at=None, **terms)
    session.add(agreement)
    session.flush()
    agreement.number = f"CZ-TL-{now.year}-{agreement.id:06d}"
    if terms["mode"] in CLOSING_MODES:
        for other in session.scalars(sa.select(LicenceOffer).where(
                LicenceOffer.technology_id == technology.id,
                LicenceOffer.status == OfferStatus.OPEN)):
            if offer is None or other.id != offer.id:
                other.close(now)
    session.flush()
    record_audit(None, "licence_agreement.conclude", agreement,
                 after={"number": agreement.number, "mode": str(agreement.mode),
                        "licensee_org_id": licensee_org.id, "express": agreement.express,
                        "upfront_fee_fen": agreement.upfront_fee_fen})
    log.info("licence agreement %s: technology %s to org %s (%s)", agreement.number,
             technology.id, licensee_org.id, agreement.mode)
    return agreement


# ---------------------------------------------------------------------------------------------
# sides and permissions
def _is_officer(user) -> bool:
    return bool(user and user.is_authenticated and user.is_officer)


def enquirer_organizations(user, technology) -> list:
    """The user's verified organisations that may enquire about / make offers on the technology."""
    if not (user and user.is_authenticated):
        return []
    return sorted((m.organization for m in user.memberships
                   if m.organization.is_verified
                   and m.organization_id != technology.organization_id),
                  key=lambda o: o.id)


def _acting_enquirer(user, technology, organization):
    if technology.organization.is_member(user) and organization is None:
        raise NotAllowedError(_("You cannot enquire about your own organisation's technology."))
    if organization is None:
        options = enquirer_organizations(user, technology)
        if len(options) != 1:
            raise DomainError(_("Choose the organisation you act for."), "organization_id")
        return options[0]
    if organization.id == technology.organization_id:
        raise NotAllowedError(_("You cannot enquire about your own organisation's technology."))
    if not organization.is_member(user):
        raise NotAllowedError(_("You can only act for an organisation you belong to."))
    if not organization.is_verified:
        raise NotAllowedError(_("Only verified organisations can do this."))
    return organization


def _require_open_listing(technology) -> None:
    if not technology.is_published:
        raise ConflictError(_("This technology is not published."))


def get_disclosure(session: Session, technology) -> TechnologyDisclosure | None:
    return session.scalars(sa.select(TechnologyDisclosure).where(
        TechnologyDisclosure.technology_id == technology.id)).first()


def current_acceptance(session: Session, technology, user) -> NdaAcceptance | None:
    """The acceptance of the current NDA version by one of the user's organisations."""
    disclosure = get_disclosure(session, technology)
    if disclosure is None or not disclosure.has_nda or not (user and user.is_authenticated):
        return None
    org_ids = [m.organization_id for m in user.memberships]
    if not org_ids:
        return None
    return session.scalars(sa.select(NdaAcceptance).where(
        NdaAcceptance.technology_id == technology.id,
        NdaAcceptance.nda_version == disclosure.nda_version,
        NdaAcceptance.organization_id.in_(org_ids)).order_by(NdaAcceptance.id)).first()


def can_view_confidential(session: Session, technology, user) -> bool:
    if technology.organization.is_member(user) or _is_officer(user):
        return True
    return technology.is_published and current_acceptance(session, technology, user) is not None


# ---------------------------------------------------------------------------------------------
# the owner's disclosure and NDA
def update_disclosure(session: Session, technology, user, *, problem: str, advantages: str,
                      applications: str, confidential_text: str, nda_text: str,
                      now: datetime) -> TechnologyDisclosure:
    """Save the public summary fields, the confidential text and the NDA (a changed NDA text is
    a new version, which every enquirer must accept again)."""
    if not technology.can_edit(user):
        raise NotAllowedError(_("Only members of the owning organisation can edit this."))
    values = {"problem": problem, "advantages": advantages, "applications": applications,
              "confidential_text": confidential_text}
    for name, value in values.items():
        if len(value or "") > MAX_TEXT:
            raise DomainError(_("At most %(n)d characters.", n=MAX_TEXT), name)
    if len(nda_text or "") > MAX_TEXT:
        raise DomainError(_("At most %(n)d characters.", n=MAX_TEXT), "nda_text")
    disclosure = get_disclosure(session, technology)
    if disclosure is None:
        disclosure = TechnologyDisclosure(technology_id=technology.id, nda_text="", nda_version=0)
        session.add(disclosure)
    before = {"nda_version": disclosure.nda_version}
    for name, value in values.items():
        setattr(disclosure, name, (value or "").strip())
    if not (nda_text or "").strip() and disclosure.nda_version:
        raise DomainError(_("The NDA cannot be emptied once enquirers may have accepted it; "
                            "change its text instead."), "nda_text")
    disclosure.set_nda(nda_text or "")
    disclosure.updated_by_id, disclosure.updated_at = user.id, now
    session.flush()
    record_audit(user, "technology_disclosure.update", disclosure, before=before,
                 after={"nda_version": disclosure.nda_version})
    return disclosure


def confidential_dir() -> Path:
    return Path(current_app.instance_path) / "uploads" / "licensing"


def _sniff_document(data: bytes) -> tuple[str, str] | None:
    return sniff_document(data, accepted=(PDF, DOCX, PNG, JPEG))


def list_files(session: Session, technology) -> list[ConfidentialFile]:
    return list(session.scalars(sa.select(ConfidentialFile).where(
        ConfidentialFile.technology_id == technology.id).order_by(ConfidentialFile.id)))


def add_confidential_file(session: Session, technology, user, *, filename: str, stream,
                          now: datetime) -> ConfidentialFile:
    """Store a confidential document (PDF, DOCX, PNG or JPEG, judged by its bytes; ≤ 20 MB)."""
    if not technology.can_edit(user):
        raise NotAllowedError(_("Only members of the owning organisation can add files."))
    if len(list_files(session, technology)) >= MAX_FILES:
        raise DomainError(_("At most %(n)d confidential files.", n=MAX_FILES), "file")
    data = stream.read(MAX_FILE_BYTES + 1)
    if not data:
        raise DomainError(_("Choose a file."), "file")
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(_("The file is larger than 20 MB."), "file")
    kind = _sniff_document(data)
    if kind is None:
        raise DomainError(_("This file is not a PDF, Word (DOCX), PNG or JPEG file."), "file")
    content_type, extension = kind
    # printable characters only: a NUL in the name was a 500 on PostgreSQL (S8 upload test)
    stem = "".join(ch for ch in Path(filename or "").name if ch.isprintable())
    stem = stem.strip()[:150] or "document"
    if not stem.lower().endswith("." + extension):
        stem = f"{stem.rsplit('.', 1)[0] if '.' in stem else stem}.{extension}"
    name = f"{secrets.token_hex(16)}.{extension}"
    directory = confidential_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)
    item = ConfidentialFile(technology_id=technology.id, filename=stem, stored_name=name,
                            content_type=content_type, size_bytes=len(data),
                            uploaded_by_id=user.id, created_at=now)
    session.add(item)
    session.flush()
    after_rollback(lambda: (directory / name).unlink(missing_ok=True))
    record_audit(user, "confidential_file.add", item, after={"filename": stem})
    return item


def remove_confidential_file(session: Session, item: ConfidentialFile, technology, user) -> None:
    if not technology.can_edit(user) or item.technology_id != technology.id:
        raise NotAllowedError(_("Only members of the owning organisation can remove files."))
    name = item.stored_name
    record_audit(user, "confidential_file.remove", item, before={"filename": item.filename})
    session.delete(item)
    session.flush()
    directory = confidential_dir()
    after_commit(lambda: (directory / name).unlink(missing_ok=True))


# ---------------------------------------------------------------------------------------------
# NDA and enquiries
def accept_nda(session: Session, technology, user, *, version: int, organization=None,
               now: datetime) -> NdaAcceptance:
    """Record that ``user`` accepted NDA ``version`` for ``organization`` (idempotent); the
    organisation's interest (enquiry) is recorded with it."""
    organization = _acting_enquirer(user, technology, organization)
    _require_open_listing(technology)
    begin_write(session)
    disclosure = get_disclosure(session, technology)
    if disclosure is None or not disclosure.has_nda:
        raise ConflictError(_("The owner has not set a confidentiality agreement yet."))
    if version != disclosure.nda_version:
        raise ConflictError(_("The confidentiality agreement has changed meanwhile. Please read "
                              "the current version and accept it again."))
    existing = session.scalars(sa.select(NdaAcceptance).where(
        NdaAcceptance.technology_id == technology.id,
        NdaAcceptance.organization_id == organization.id, NdaAcceptance.user_id == user.id,
        NdaAcceptance.nda_version == version)).first()
    if existing is not None:
        return existing
    acceptance = NdaAcceptance(technology_id=technology.id, organization_id=organization.id,
                               user_id=user.id, nda_version=version,
                               nda_text=disclosure.nda_text, accepted_at=now)
    session.add(acceptance)
    _ensure_enquiry(session, technology, organization, user, "", now)
    session.flush()
    record_audit(user, "nda.accept", acceptance,
                 after={"technology_id": technology.id, "organization_id": organization.id,
                        "nda_version": version})
    _notify(technology.organization,
            _l("NDA accepted: %(title)s", title=technology.title_for("zh")),
            [_l("%(org)s accepted the confidentiality agreement (version %(version)d) of "
                "“%(title)s”.", org=organization.name_zh, version=version,
                title=technology.title_for("zh"))],
            external_url("licensing.index"))
    return acceptance


def get_enquiry(session: Session, technology, organization) -> LicenceEnquiry | None:
    return session.scalars(sa.select(LicenceEnquiry).where(
        LicenceEnquiry.technology_id == technology.id,
        LicenceEnquiry.organization_id == organization.id)).first()


def _ensure_enquiry(session, technology, organization, user, message, now) -> LicenceEnquiry:
    enquiry = get_enquiry(session, technology, organization)
    if enquiry is None:
        enquiry = LicenceEnquiry(technology_id=technology.id, organization_id=organization.id,
                                 created_by_id=user.id, message=message, created_at=now)
        session.add(enquiry)
        session.flush()
    return enquiry


def send_enquiry(session: Session, technology, user, *, message: str, organization=None,
                 now: datetime) -> LicenceEnquiry:
    """Record the organisation's interest, with a message to the owner."""
    organization = _acting_enquirer(user, technology, organization)
    _require_open_listing(technology)
    message = (message or "").strip()
    if not message:
        raise DomainError(_("Write a message."), "message")
    if len(message) > MAX_MESSAGE:
        raise DomainError(_("At most %(n)d characters.", n=MAX_MESSAGE), "message")
    begin_write(session)
    enquiry = get_enquiry(session, technology, organization)
    if enquiry is not None and not enquiry.is_open:
        raise ConflictError(_("The owner has declined your organisation's enquiry about this "
                              "technology."))
    if enquiry is None:
        enquiry = _ensure_enquiry(session, technology, organization, user, message, now)
    else:
        enquiry.message = message
    session.flush()
    record_audit(user, "licence_enquiry.send", enquiry, after={"message": message[:200]})
    _notify(technology.organization,
            _l("New enquiry: %(title)s", title=technology.title_for("zh")),
            [_l("%(org)s wrote about “%(title)s”:", org=organization.name_zh,
                title=technology.title_for("zh")), "\n\n", message],
            external_url("licensing.index"))
    return enquiry


def decline_enquiry(session: Session, enquiry: LicenceEnquiry, user, *, reason, note: str | None,
                    now: datetime) -> None:
    """The owner declines an enquiry, with a reason (seen in aggregate) and an optional note."""
    technology = enquiry.technology
    if not technology.organization.is_member(user):
        raise NotAllowedError(_("Only members of the owning organisation can decline enquiries."))
    reason = _reason(reason)
    note = _note(note)
    enquiry.decline(user, reason, note, now)
    session.flush()
    record_audit(user, "licence_enquiry.decline", enquiry, after={"reason": str(reason)})
    _notify(enquiry.organization,
            _l("Enquiry declined: %(title)s", title=technology.title_for("zh")),
            [_l("Your enquiry about “%(title)s” was declined (%(reason)s).",
                title=technology.title_for("zh"), reason=reason.label),
             f"\n\n{note}" if note else ""],
            external_url("licensing.index"))


def _reason(reason) -> DeclineReason:
    try:
        return DeclineReason(reason)
    except ValueError:
        raise DomainError(_("Choose a reason."), "reason") from None


def _note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_FEEDBACK_NOTE:
        raise DomainError(_("At most %(n)d characters.", n=MAX_FEEDBACK_NOTE), "note")
    return note or None


# ---------------------------------------------------------------------------------------------
# offers
def open_offer(session: Session, technology, licensee_org) -> LicenceOffer | None:
    return session.scalars(sa.select(LicenceOffer).where(
        LicenceOffer.technology_id == technology.id,
        LicenceOffer.licensee_org_id == licensee_org.id,
        LicenceOffer.status == OfferStatus.OPEN)).first()


def _check_offer_terms(session, technology, terms: dict) -> dict:
    terms = clean_terms(terms)
    if terms["mode"] not in technology.modes:
        raise DomainError(_("The owner does not offer this licensing mode."), "mode")
    if technology_is_closed(session, technology):
        raise TechnologyClosedError(_("This technology has been licensed exclusively or "
                                      "assigned; it takes no further offers."))
    return terms


def _lock_technology(session: Session, technology):
    locked = lock(session, Technology, technology.id)
    if locked is None:
        raise NotFoundError(_("This technology no longer exists."))
    return locked


def _lock_offer(session: Session, offer: LicenceOffer) -> LicenceOffer:
    _lock_technology(session, offer.technology)
    return lock(session, LicenceOffer, offer.id)


def make_offer(session: Session, technology, user, *, terms: dict, message: str = "",
               organization=None, now: datetime) -> LicenceOffer:
    """An enquirer's first offer (the thread's opening); one open offer per thread."""
    organization = _acting_enquirer(user, technology, organization)
    _require_open_listing(technology)
    message = _message(message)
    technology = _lock_technology(session, technology)
    terms = _check_offer_terms(session, technology, terms)
    enquiry = get_enquiry(session, technology, organization)
    if enquiry is not None and not enquiry.is_open:
        raise ConflictError(_("The owner has declined your organisation's enquiry about this "
                              "technology."))
    if open_offer(session, technology, organization) is not None:
        raise ConflictError(_("Your organisation already has an open offer on this technology: "
                              "counter it or withdraw it first."))
    _ensure_enquiry(session, technology, organization, user, "", now)
    offer = LicenceOffer(technology_id=technology.id, licensee_org_id=organization.id,
                         author_org_id=organization.id, author_id=user.id, message=message,
                         status=OfferStatus.OPEN, created_at=now, **terms)
    session.add(offer)
    session.flush()
    _after_offer(session, offer, user, _l("An offer was made."))
    return offer


def _message(message: str | None) -> str:
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise DomainError(_("At most %(n)d characters.", n=MAX_MESSAGE), "message")
    return message


def _side_of(offer: LicenceOffer, user):
    """The organisation the user acts for in this offer's thread (the receiving side first)."""
    receiving = offer.receiving_org
    if receiving.is_member(user):
        return receiving
    if offer.author_org.is_member(user):
        return offer.author_org
    return None


def counter_offer(session: Session, offer: LicenceOffer, user, *, terms: dict, message: str = "",
                  now: datetime) -> LicenceOffer:
    """Either side replaces the open offer with new terms; the old one becomes countered."""
    side = _side_of(offer, user)
    if side is None:
        raise NotAllowedError(_("Only the two parties can counter this offer."))
    message = _message(message)
    offer = _lock_offer(session, offer)
    technology = offer.technology
    _require_open_listing(technology)
    if not offer.is_open:
        raise ConflictError(_("This offer is %(status)s; that is not possible now.",
                              status=offer.status.label))
    _require_verified_licensee(offer)
    terms = _check_offer_terms(session, technology, terms)
    offer.counter(user, now)
    new = LicenceOffer(technology_id=technology.id, licensee_org_id=offer.licensee_org_id,
                       author_org_id=side.id, author_id=user.id, replaces_id=offer.id,
                       message=message, status=OfferStatus.OPEN, created_at=now, **terms)
    session.add(new)
    session.flush()
    _after_offer(session, new, user, _l("A counter-offer was made."))
    return new


def withdraw_offer(session: Session, offer: LicenceOffer, user, *, now: datetime) -> None:
    """Its author's side takes the open offer back."""
    if not offer.author_org.is_member(user):
        raise NotAllowedError(_("Only the side that made this offer can withdraw it."))
    offer = _lock_offer(session, offer)
    if not offer.is_open:
        raise ConflictError(_("This offer is %(status)s; that is not possible now.",
                              status=offer.status.label))
    offer.withdraw(user, now)
    session.flush()
    record_audit(user, "licence_offer.withdraw", offer)
    _tell_other_side(session, offer, offer.receiving_org, _l("The offer was withdrawn."),
                     user=user)


def decline_offer(session: Session, offer: LicenceOffer, user, *, reason, note: str | None,
                  now: datetime) -> None:
    """The receiving side declines the open offer, with structured feedback."""
    if not offer.receiving_org.is_member(user):
        raise NotAllowedError(_("Only the side that received this offer can decline it."))
    reason, note = _reason(reason), _note(note)
    offer = _lock_offer(session, offer)
    if not offer.is_open:
        raise ConflictError(_("This offer is %(status)s; that is not possible now.",
                              status=offer.status.label))
    offer.decline(user, reason, note, now)
    session.flush()
    record_audit(user, "licence_offer.decline", offer, after={"reason": str(reason)})
    _tell_other_side(session, offer, offer.author_org,
                     _l("The offer was declined: %(reason)s.", reason=reason.label),
                     user=user)


def accept_offer(session: Session, offer: LicenceOffer, user, *, now: datetime) -> LicenceAgreement:
    """The receiving side accepts the open offer: the agreement is concluded on its terms."""
    if not offer.receiving_org.is_member(user):
        raise NotAllowedError(_("Only the side that received this offer can accept it."))
    offer = _lock_offer(session, offer)
    if not offer.is_open:
        raise ConflictError(_("This offer is %(status)s; that is not possible now.",
                              status=offer.status.label))
    if not offer.technology.is_published:
        raise ConflictError(_("This technology is not published."))
    _require_verified_licensee(offer)
    offer.accept(user, now)
    agreement = conclude_agreement(session, technology=offer.technology,
                                   licensee_org=offer.licensee_org, terms=offer.terms,
                                   offer=offer, now=now)
    record_audit(user, "licence_offer.accept", offer, after={"agreement": agreement.number})
    _tell_other_side(session, offer, offer.author_org,
                     _l("The offer was accepted: agreement %(number)s.", number=agreement.number),
                     url=external_url("licensing.agreement", agreement_id=agreement.id), user=user)
    return agreement


def _require_verified_licensee(offer: LicenceOffer) -> None:
    if not offer.licensee_org.is_verified:
        raise ConflictError(_("%(org)s is no longer verified; its offers cannot go on.",
                              org=offer.licensee_org.name_zh))


def _after_offer(session, offer: LicenceOffer, user, notice: str) -> None:
    record_audit(user, "licence_offer.create", offer,
                 after={"mode": str(offer.mode), "upfront_fee_fen": offer.upfront_fee_fen,
                        "royalty_bp": offer.royalty_bp, "replaces_id": offer.replaces_id})
    log.info("licence offer %s on technology %s by org %s", offer.id, offer.technology_id,
             offer.author_org_id)
    _tell_other_side(session, offer, offer.receiving_org, notice, user=user)


def _tell_other_side(session, offer: LicenceOffer, organization, notice: str, url=None,
                     user=None) -> None:
    title = offer.technology.title_for("zh")
    _notify(organization, _l("Licensing: %(title)s", title=title), [notice, f"\n“{title}”"],
            url or external_url("licensing.offer", offer_id=offer.id))
    _post_notice(session, offer, user, notice)


def _post_notice(session, offer: LicenceOffer, user, notice: str) -> None:
    """A system line in the two organisations' conversation about the technology, when the
    conversations module offers ``post_notice`` (it opens the conversation if need be)."""
    try:
        from marketplace.conversations import operations as conversations
    except ImportError:
        return
    post_notice = getattr(conversations, "post_notice", None)
    open_conversation = getattr(conversations, "open_conversation", None)
    if post_notice is None or open_conversation is None or user is None:
        return
    technology = offer.technology
    if technology.organization.is_member(user):
        sides = {"with_organization": offer.licensee_org}
    else:
        sides = {"acting_organization": offer.licensee_org}
    try:
        with session.begin_nested():
            conversation = open_conversation(session, user, listing=technology, **sides)
            post_notice(session, conversation, f"{notice} ({technology.title_for('zh')})")
    except Exception:  # a notice is a courtesy: never fail the deal over it
        log.warning("no licensing notice for offer %s", offer.id, exc_info=True)


def _notify(organization, subject, parts, link: str) -> None:
    """Mail the organisation's members, each in their language (lazy strings in ``parts``)."""
    for member in organization.memberships:
        user = member.user
        if not user.is_active:
            continue
        with force_locale(user.locale or "zh_CN"):
            body = "".join(str(part) for part in parts)
            send_mail(user.email, str(subject)[:200], f"{body}\n\n{link}")


# ---------------------------------------------------------------------------------------------
# reading for pages
def thread_offers(session: Session, technology, licensee_org) -> list[LicenceOffer]:
    return list(session.scalars(sa.select(LicenceOffer).where(
        LicenceOffer.technology_id == technology.id,
        LicenceOffer.licensee_org_id == licensee_org.id).order_by(LicenceOffer.id)))


def offers_for_organizations(session: Session, org_ids) -> list[LicenceOffer]:
    if not org_ids:
        return []
    return list(session.scalars(
        sa.select(LicenceOffer).join(Technology, Technology.id == LicenceOffer.technology_id)
        .where(sa.or_(LicenceOffer.licensee_org_id.in_(org_ids),
                      Technology.organization_id.in_(org_ids)))
        .order_by(LicenceOffer.id.desc())))


def enquiries_for_organizations(session: Session, org_ids) -> tuple[list, list]:
    """(enquiries my organisations made, enquiries about my organisations' technologies)."""
    if not org_ids:
        return [], []
    made = list(session.scalars(sa.select(LicenceEnquiry).where(
        LicenceEnquiry.organization_id.in_(org_ids)).order_by(LicenceEnquiry.id.desc())))
    received = list(session.scalars(
        sa.select(LicenceEnquiry).join(Technology, Technology.id == LicenceEnquiry.technology_id)
        .where(Technology.organization_id.in_(org_ids)).order_by(LicenceEnquiry.id.desc())))
    return made, received


def agreements_for_organizations(session: Session, org_ids) -> list[LicenceAgreement]:
    if not org_ids:
        return []
    return list(session.scalars(sa.select(LicenceAgreement).where(sa.or_(
        LicenceAgreement.licensor_org_id.in_(org_ids),
        LicenceAgreement.licensee_org_id.in_(org_ids))).order_by(LicenceAgreement.id.desc())))


def feedback_summary(session: Session, org_ids) -> list[dict]:
    """Decline reasons counted per technology of the organisations: ``{"technology", "by_us",
    "by_them"}`` where each is a {DeclineReason: count} — by_us: enquiries and offers the owner
    declined; by_them: the owner's offers the enquirers declined."""
    if not org_ids:
        return []
    owned = sa.select(Technology.id).where(Technology.organization_id.in_(org_ids))
    counts: dict[int, dict] = {}

    def add(technology_id, side, reason, count):
        row = counts.setdefault(technology_id, {"by_us": {}, "by_them": {}})[side]
        row[reason] = row.get(reason, 0) + count

    for technology_id, reason, count in session.execute(
            sa.select(LicenceEnquiry.technology_id, LicenceEnquiry.decline_reason,
                      sa.func.count())
            .where(LicenceEnquiry.technology_id.in_(owned),
                   LicenceEnquiry.decline_reason.is_not(None))
            .group_by(LicenceEnquiry.technology_id, LicenceEnquiry.decline_reason)):
        add(technology_id, "by_us", reason, count)
    # an offer declined by the licensee was the owner's (author = the technology's organisation)
    ours = LicenceOffer.author_org_id != LicenceOffer.licensee_org_id
    for technology_id, reason, by_them, count in session.execute(
            sa.select(LicenceOffer.technology_id, LicenceOffer.decline_reason, ours,
                      sa.func.count())
            .where(LicenceOffer.technology_id.in_(owned),
                   LicenceOffer.decline_reason.is_not(None))
            .group_by(LicenceOffer.technology_id, LicenceOffer.decline_reason, ours)):
        add(technology_id, "by_them" if by_them else "by_us", reason, count)
    rows = []
    for technology_id in sorted(counts):
        rows.append({"technology": session.get(Technology, technology_id), **counts[technology_id]})
    return rows
