"""Licensing models (step 5): a technology's disclosure (public summary, confidential text, NDA),
confidential files, NDA acceptances, enquiries, offers and licence agreements.

An offer thread is between the technology's organisation (licensor) and one licensee
organisation; at most one offer of a thread is open at a time (operations lock the technology
row for every change). An agreement is concluded from an accepted offer (or in one step, the
express licence); an exclusive licence or an assignment closes the technology to other deals.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from listings.models import LicensingMode
from marketplace.errors import InvalidStateError
from marketplace.extensions import UTCDateTime, db, enum_type, utcnow
from marketplace.feedback import DeclineReason

CLOSING_MODES = (LicensingMode.EXCLUSIVE, LicensingMode.ASSIGNMENT)
MAX_TERM_YEARS = 50
MAX_ROYALTY_BP = 10000


# --- agreements ------------------------------------------------------------------------------
class LicenceStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    IN_FORCE = "in_force"

    @property
    def label(self):
        return {LicenceStatus.AWAITING_PAYMENT: _l("Awaiting payment of the upfront fee"),
                LicenceStatus.IN_FORCE: _l("In force")}[self]


class LicenceAgreement(db.Model):
    """A concluded licence (or assignment / joint development) of one technology."""

    __tablename__ = "licence_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    technology_id: Mapped[int] = mapped_column(sa.ForeignKey("technologies.id"), index=True)
    licensor_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    licensee_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("licence_offers.id"))
    mode: Mapped[LicensingMode] = mapped_column(enum_type(LicensingMode, "licensing_mode"))
    field_of_use: Mapped[str] = mapped_column(sa.String(300), default="")
    territory: Mapped[str] = mapped_column(sa.String(200), default="")
    term_years: Mapped[int]
    upfront_fee_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    royalty_bp: Mapped[int] = mapped_column(default=0)
    milestones: Mapped[list] = mapped_column(sa.JSON, default=list)
    express: Mapped[bool] = mapped_column(default=False)
    status: Mapped[LicenceStatus] = mapped_column(
        enum_type(LicenceStatus, "licence_status"), index=True)
    concluded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    technology = relationship("Technology")
    licensor_org = relationship("Organization", foreign_keys=[licensor_org_id])
    licensee_org = relationship("Organization", foreign_keys=[licensee_org_id])
    offer = relationship("LicenceOffer", foreign_keys=[offer_id])

    __table_args__ = (
        sa.CheckConstraint("upfront_fee_fen >= 0", name="upfront_fee"),
        sa.CheckConstraint(f"royalty_bp BETWEEN 0 AND {MAX_ROYALTY_BP}", name="royalty"),
        sa.CheckConstraint(f"term_years BETWEEN 1 AND {MAX_TERM_YEARS}", name="term"),
        sa.CheckConstraint("licensor_org_id <> licensee_org_id", name="two_parties"),
        sa.CheckConstraint("(status = 'in_force') = (paid_at IS NOT NULL OR upfront_fee_fen = 0)",
                           name="paid_when_in_force"),
    )

    @property
    def is_in_force(self) -> bool:
        return self.status == LicenceStatus.IN_FORCE

    @property
    def closes_technology(self) -> bool:
        return self.mode in CLOSING_MODES

    def mark_paid(self, now: datetime) -> None:
        """The upfront fee was paid: the agreement comes into force (no-op if it already is)."""
        if self.status == LicenceStatus.IN_FORCE:
            return
        self.status = LicenceStatus.IN_FORCE
        self.paid_at = now

    def is_party(self, user) -> bool:
        return any(org is not None and org.is_member(user)
                   for org in (self.licensor_org, self.licensee_org))

    def can_view(self, user) -> bool:
        return self.is_party(user) or bool(user and user.is_authenticated and user.is_officer)


# --- disclosure and NDA ----------------------------------------------------------------------
class TechnologyDisclosure(db.Model):
    """The non-confidential summary fields beyond the listing, the confidential text and the NDA
    an enquirer must accept to read it (1:1 with ``technologies``). Changing the NDA text
    raises ``nda_version``; acceptances of older versions no longer open the confidential part."""

    __tablename__ = "technology_disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    technology_id: Mapped[int] = mapped_column(
        sa.ForeignKey("technologies.id", ondelete="CASCADE"), unique=True)
    problem: Mapped[str] = mapped_column(sa.Text, default="")
    advantages: Mapped[str] = mapped_column(sa.Text, default="")
    applications: Mapped[str] = mapped_column(sa.Text, default="")
    confidential_text: Mapped[str] = mapped_column(sa.Text, default="")
    nda_text: Mapped[str] = mapped_column(sa.Text, default="")
    nda_version: Mapped[int] = mapped_column(default=0)  # 0 = no NDA yet
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    technology = relationship("Technology")

    __table_args__ = (
        sa.CheckConstraint("nda_version >= 0", name="nda_version"),
    )

    @property
    def has_nda(self) -> bool:
        return self.nda_version > 0 and bool(self.nda_text.strip())

    def set_nda(self, text: str) -> bool:
        """Replace the NDA text; a changed text is a new version. Returns whether it changed."""
        text = text.strip()
        if text == (self.nda_text or "").strip():
            return False
        self.nda_text = text
        self.nda_version = (self.nda_version or 0) + 1
        return True


class ConfidentialFile(db.Model):
    """A file of a technology's confidential part, stored outside the web root."""

    __tablename__ = "licensing_confidential_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    technology_id: Mapped[int] = mapped_column(
        sa.ForeignKey("technologies.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))  # as uploaded (shown, sent as name)
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("size_bytes > 0", name="size"),)


class NdaAcceptance(db.Model):
    """Who accepted which version of a technology's NDA, for which organisation, and when."""

    __tablename__ = "nda_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    technology_id: Mapped[int] = mapped_column(
        sa.ForeignKey("technologies.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    nda_version: Mapped[int]
    nda_text: Mapped[str] = mapped_column(sa.Text)  # the text as accepted
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")
    organization = relationship("Organization")

    __table_args__ = (
        sa.UniqueConstraint("technology_id", "organization_id", "user_id", "nda_version"),
    )


# --- enquiries -------------------------------------------------------------------------------
class EnquiryStatus(enum.StrEnum):
    OPEN = "open"
    DECLINED = "declined"

    @property
    def label(self):
        return {EnquiryStatus.OPEN: _l("Under discussion"),
                EnquiryStatus.DECLINED: _l("Declined")}[self]


class LicenceEnquiry(db.Model):
    """An organisation's interest in a technology (one per technology and organisation)."""

    __tablename__ = "licence_enquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    technology_id: Mapped[int] = mapped_column(
        sa.ForeignKey("technologies.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[EnquiryStatus] = mapped_column(
        enum_type(EnquiryStatus, "enquiry_status", 10), default=EnquiryStatus.OPEN)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(
        enum_type(DeclineReason, "enquiry_decline_reason"))
    decline_note: Mapped[str | None] = mapped_column(sa.Text)
    declined_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    technology = relationship("Technology")
    organization = relationship("Organization")

    __table_args__ = (
        sa.UniqueConstraint("technology_id", "organization_id"),
        sa.CheckConstraint("(status = 'declined') = (decline_reason IS NOT NULL)",
                           name="declined_with_reason"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == EnquiryStatus.OPEN

    def decline(self, by, reason: DeclineReason, note: str | None, now: datetime) -> None:
        if not self.is_open:
            raise InvalidStateError(_l("This enquiry has already been declined."))
        self.status = EnquiryStatus.DECLINED
        self.decline_reason, self.decline_note = reason, note or None
        self.declined_by_id, self.declined_at = by.id, now

    def reopen(self) -> None:
        self.status = EnquiryStatus.OPEN
        self.decline_reason = self.decline_note = None
        self.declined_by_id = self.declined_at = None


# --- offers ----------------------------------------------------------------------------------
class OfferStatus(enum.StrEnum):
    OPEN = "open"
    COUNTERED = "countered"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    CLOSED = "closed"  # the technology was licensed exclusively or assigned to someone else

    @property
    def label(self):
        return OFFER_STATUS_LABELS[self]


OFFER_STATUS_LABELS = {
    OfferStatus.OPEN: _l("Awaiting an answer"),
    OfferStatus.COUNTERED: _l("Countered"),
    OfferStatus.WITHDRAWN: _l("Withdrawn"),
    OfferStatus.DECLINED: _l("Declined"),
    OfferStatus.ACCEPTED: _l("Accepted"),
    OfferStatus.CLOSED: _l("Closed: licensed to another party"),
}


class LicenceOffer(db.Model):
    """Structured terms proposed by one side of a thread (licensor ↔ one licensee)."""

    __tablename__ = "licence_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    technology_id: Mapped[int] = mapped_column(
        sa.ForeignKey("technologies.id", ondelete="CASCADE"), index=True)
    licensee_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    author_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("licence_offers.id"))
    mode: Mapped[LicensingMode] = mapped_column(enum_type(LicensingMode, "offer_licensing_mode"))
    field_of_use: Mapped[str] = mapped_column(sa.String(300), default="")
    territory: Mapped[str] = mapped_column(sa.String(200), default="")
    term_years: Mapped[int]
    upfront_fee_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    royalty_bp: Mapped[int] = mapped_column(default=0)
    milestones: Mapped[list] = mapped_column(sa.JSON, default=list)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[OfferStatus] = mapped_column(
        enum_type(OfferStatus, "offer_status", 10), default=OfferStatus.OPEN, index=True)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(
        enum_type(DeclineReason, "offer_decline_reason"))
    decline_note: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    technology = relationship("Technology")
    licensee_org = relationship("Organization", foreign_keys=[licensee_org_id])
    author_org = relationship("Organization", foreign_keys=[author_org_id])
    author = relationship("User", foreign_keys=[author_id])

    __table_args__ = (
        sa.CheckConstraint("upfront_fee_fen >= 0", name="upfront_fee"),
        sa.CheckConstraint(f"royalty_bp BETWEEN 0 AND {MAX_ROYALTY_BP}", name="royalty"),
        sa.CheckConstraint(f"term_years BETWEEN 1 AND {MAX_TERM_YEARS}", name="term"),
        sa.CheckConstraint("(status = 'declined') = (decline_reason IS NOT NULL)",
                           name="declined_with_reason"),
    )

    TERM_FIELDS = ("mode", "field_of_use", "territory", "term_years", "upfront_fee_fen",
                   "royalty_bp", "milestones")

    @property
    def is_open(self) -> bool:
        return self.status == OfferStatus.OPEN

    @property
    def licensor_org(self):
        return self.technology.organization

    @property
    def terms(self) -> dict:
        return {name: getattr(self, name) for name in self.TERM_FIELDS}

    @property
    def receiving_org(self):
        """The side that may accept or decline (the one that did not make the offer)."""
        return (self.licensee_org if self.author_org_id == self.technology.organization_id
                else self.technology.organization)

    def is_party(self, user) -> bool:
        return self.technology.organization.is_member(user) or self.licensee_org.is_member(user)

    def _close(self, status: OfferStatus, by, now: datetime) -> None:
        if not self.is_open:
            raise InvalidStateError(_l("This offer is %(status)s; that is not possible now.",
                                       status=self.status.label))
        self.status = status
        self.decided_by_id = by.id if by is not None else None
        self.decided_at = now

    def counter(self, by, now: datetime) -> None:
        self._close(OfferStatus.COUNTERED, by, now)

    def withdraw(self, by, now: datetime) -> None:
        self._close(OfferStatus.WITHDRAWN, by, now)

    def accept(self, by, now: datetime) -> None:
        self._close(OfferStatus.ACCEPTED, by, now)

    def close(self, now: datetime) -> None:
        self._close(OfferStatus.CLOSED, None, now)

    def decline(self, by, reason: DeclineReason, note: str | None, now: datetime) -> None:
        self._close(OfferStatus.DECLINED, by, now)
        self.decline_reason, self.decline_note = reason, note or None
