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
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from listings.models import LicensingMode, Technology
from marketplace.audit import record_audit
from marketplace.errors import ConflictError, DomainError
from marketplace.extensions import utcnow
from marketplace.licensing.models import (
    CLOSING_MODES,
    MAX_ROYALTY_BP,
    MAX_TERM_YEARS,
    LicenceAgreement,
    LicenceOffer,
    LicenceStatus,
    OfferStatus,
)
from marketplace.transactions import lock

log = logging.getLogger(__name__)

LIVE_STATUSES = (LicenceStatus.AWAITING_PAYMENT, LicenceStatus.IN_FORCE)
MAX_FEE_FEN = 100_000_000_000  # ¥1 billion
MAX_MILESTONES = 20
MAX_FIELD_OF_USE = 300
MAX_TERRITORY = 200
MAX_MILESTONE_TITLE = 200


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
        raise DomainError(_("The royalty must be between 0 % and 100 %."), "royalty")
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
                raise DomainError(_("A milestone's due date is not a date."), "milestones") from None
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
    status = LicenceStatus.AWAITING_PAYMENT if terms["upfront_fee_fen"] > 0 else LicenceStatus.IN_FORCE
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
