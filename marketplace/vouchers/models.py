"""Voucher programmes: funding layers, quota applications and grants, provider admissions.

Every ratio, cap and period is a column here, never a constant in code: published schemes differ
(Shandong pays 40–60 % of a fee, Yuhuan lets small bills be paid fully by voucher, Sichuan's
vouchers expire after three months). Money is integer fen; a share is in basis points (1/100 %).
The money itself lives in the ledger (``marketplace.ledger``); ``accounts`` below names the
accounts one programme uses.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import UTCDateTime, db, enum_type, utcnow

BP = 10_000  # basis points in a whole
# a service, not an instrument category: listed in ``eligible_categories`` when the programme's
# vouchers may pay part of a licence fee (licensing/fees); never implied by an empty list
TECHNOLOGY_TRANSFER = "technology_transfer"
TECHNOLOGY_TRANSFER_LABEL = _l("Technology transfer services (licence fees)")


class ProgrammeStatus(enum.StrEnum):
    DRAFT = "draft"  # being set up; nobody can apply yet
    OPEN = "open"  # applications, grants and voucher payments
    CLOSED = "closed"  # no new applications or grants; granted vouchers still spendable

    @property
    def label(self):
        return {ProgrammeStatus.DRAFT: _l("Draft"), ProgrammeStatus.OPEN: _l("Open"),
                ProgrammeStatus.CLOSED: _l("Closed to applications")}[self]


class VoucherProgramme(db.Model):
    """A voucher scheme, e.g. 2027 长治市科技创新券."""

    __tablename__ = "voucher_programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[ProgrammeStatus] = mapped_column(
        enum_type(ProgrammeStatus, "programme_status", 10), default=ProgrammeStatus.DRAFT)
    # caps; None = no cap
    per_application_cap_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    annual_cap_per_enterprise_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    # a granted quota may be spent for this many days, then what is left returns to the budget
    validity_days: Mapped[int] = mapped_column(default=365)
    # a bill below this may be paid entirely by voucher (None: never)
    full_payment_threshold_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    # instrument categories (InstrumentCategory values) the vouchers pay for, none listed = all;
    # and TECHNOLOGY_TRANSFER if they pay for technology transfer services (licence fees)
    eligible_categories: Mapped[list] = mapped_column(sa.JSON, default=list)
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    layers: Mapped[list[FundingLayer]] = relationship(
        back_populates="programme", order_by="FundingLayer.position, FundingLayer.id",
        cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("per_application_cap_fen IS NULL OR per_application_cap_fen > 0",
                           name="per_application_cap"),
        sa.CheckConstraint("annual_cap_per_enterprise_fen IS NULL "
                           "OR annual_cap_per_enterprise_fen > 0", name="annual_cap"),
        sa.CheckConstraint("validity_days > 0", name="validity_days"),
        sa.CheckConstraint("full_payment_threshold_fen IS NULL OR full_payment_threshold_fen > 0",
                           name="full_payment_threshold"),
    )

    def name_for(self, language: str) -> str:
        return (self.name_en or self.name_zh) if language == "en" else self.name_zh

    @property
    def budget_fen(self) -> int:
        return sum(layer.budget_fen for layer in self.layers)

    @property
    def share_bp(self) -> int:
        """The part of an ordinary bill that vouchers pay, all layers together."""
        return sum(layer.share_bp for layer in self.layers)

    @property
    def is_open(self) -> bool:
        return self.status == ProgrammeStatus.OPEN

    def covers_category(self, category: str | None) -> bool:
        listed = list(self.eligible_categories or [])
        if category == TECHNOLOGY_TRANSFER:
            return TECHNOLOGY_TRANSFER in listed
        instruments = [c for c in listed if c != TECHNOLOGY_TRANSFER]
        return not instruments or category in instruments

    @property
    def admits_technology_transfer(self) -> bool:
        return self.covers_category(TECHNOLOGY_TRANSFER)

    def snapshot(self) -> dict:
        return {
            "name_zh": self.name_zh, "status": str(self.status),
            "per_application_cap_fen": self.per_application_cap_fen,
            "annual_cap_per_enterprise_fen": self.annual_cap_per_enterprise_fen,
            "validity_days": self.validity_days,
            "full_payment_threshold_fen": self.full_payment_threshold_fen,
            "eligible_categories": list(self.eligible_categories or []),
            "layers": [{"name_zh": layer.name_zh, "share_bp": layer.share_bp,
                        "budget_fen": layer.budget_fen} for layer in self.layers],
        }

    def __repr__(self) -> str:
        return f"<VoucherProgramme {self.id} {self.name_zh}>"


class FundingLayer(db.Model):
    """One funder of a programme (e.g. the city 50 %, a district 20 %) with its own budget."""

    __tablename__ = "funding_layers"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher_programmes.id"), index=True)
    name_zh: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str | None] = mapped_column(sa.String(100))
    share_bp: Mapped[int]  # share of an ordinary bill this layer pays, in basis points
    budget_fen: Mapped[int] = mapped_column(sa.BigInteger)
    position: Mapped[int] = mapped_column(default=0)

    programme: Mapped[VoucherProgramme] = relationship(back_populates="layers")

    __table_args__ = (
        sa.CheckConstraint("share_bp > 0 AND share_bp <= 10000", name="share"),
        sa.CheckConstraint("budget_fen >= 0", name="budget"),
    )

    def name_for(self, language: str) -> str:
        return (self.name_en or self.name_zh) if language == "en" else self.name_zh

    def __repr__(self) -> str:
        return f"<FundingLayer {self.id} {self.name_zh} {self.share_bp}bp>"


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    GRANTED = "granted"  # fully or partly: see granted_fen
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    @property
    def label(self):
        return {ApplicationStatus.SUBMITTED: _l("Awaiting decision"),
                ApplicationStatus.GRANTED: _l("Granted"),
                ApplicationStatus.REFUSED: _l("Refused"),
                ApplicationStatus.WITHDRAWN: _l("Withdrawn")}[self]


class QuotaApplication(db.Model):
    """An enterprise asks a programme for voucher quota; an officer grants or refuses."""

    __tablename__ = "quota_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher_programmes.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    applicant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_fen: Mapped[int] = mapped_column(sa.BigInteger)
    purpose: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_type(ApplicationStatus, "quota_application_status", 10),
        default=ApplicationStatus.SUBMITTED)
    granted_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    decision_note: Mapped[str | None] = mapped_column(sa.Text)  # the reason for a refusal or cut
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme = relationship("VoucherProgramme")
    organization = relationship("Organization")
    applicant = relationship("User", foreign_keys=[applicant_id])

    __table_args__ = (
        sa.CheckConstraint("requested_fen > 0", name="requested_positive"),
        sa.CheckConstraint("granted_fen IS NULL OR (granted_fen > 0 AND granted_fen <= requested_fen)",
                           name="granted_range"),
        sa.CheckConstraint("(status = 'granted') = (granted_fen IS NOT NULL)",
                           name="granted_amount_iff_granted"),
        # one open application per enterprise and programme
        sa.Index("uq_quota_applications_open", "programme_id", "organization_id", unique=True,
                 sqlite_where=sa.text("status = 'submitted'"),
                 postgresql_where=sa.text("status = 'submitted'")),
    )

    @property
    def is_open(self) -> bool:
        return self.status == ApplicationStatus.SUBMITTED

    def snapshot(self) -> dict:
        return {"status": str(self.status), "requested_fen": self.requested_fen,
                "granted_fen": self.granted_fen, "decision_note": self.decision_note}


class Quota(db.Model):
    """Granted voucher credit: spendable until ``expires_at``, then the rest goes back."""

    __tablename__ = "quotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher_programmes.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quota_applications.id"),
                                                       unique=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    grant_year: Mapped[int]  # the Asia/Shanghai calendar year of the grant (annual cap)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the rest went back
    returned_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    programme = relationship("VoucherProgramme")
    organization = relationship("Organization")
    application = relationship("QuotaApplication")

    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("returned_fen >= 0 AND returned_fen <= amount_fen", name="returned"),
        sa.CheckConstraint("expires_at > granted_at", name="expiry_after_grant"),
    )

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


class AdmissionStatus(enum.StrEnum):
    APPLIED = "applied"
    ADMITTED = "admitted"
    REFUSED = "refused"
    SUSPENDED = "suspended"

    @property
    def label(self):
        return {AdmissionStatus.APPLIED: _l("Awaiting decision"),
                AdmissionStatus.ADMITTED: _l("Admitted"),
                AdmissionStatus.REFUSED: _l("Refused"),
                AdmissionStatus.SUSPENDED: _l("Suspended")}[self]


class ProviderAdmission(db.Model):
    """A provider organisation admitted to a programme: its instruments may then take vouchers."""

    __tablename__ = "provider_admissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher_programmes.id"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    status: Mapped[AdmissionStatus] = mapped_column(
        enum_type(AdmissionStatus, "admission_status", 10), default=AdmissionStatus.APPLIED)
    note: Mapped[str | None] = mapped_column(sa.Text)
    applied_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme = relationship("VoucherProgramme")
    organization = relationship("Organization")

    __table_args__ = (sa.UniqueConstraint("programme_id", "organization_id"),)

    @property
    def is_admitted(self) -> bool:
        return self.status == AdmissionStatus.ADMITTED

    def snapshot(self) -> dict:
        return {"status": str(self.status), "note": self.note}


# ---------------------------------------------------------------------------------------------
# ledger account codes of a programme
class accounts:  # noqa: N801  (a namespace of functions)
    @staticmethod
    def budget(layer_id: int, programme_id: int) -> str:
        return f"programme:{programme_id}:layer:{layer_id}:budget"

    @staticmethod
    def voucher(organization_id: int, quota_id: int, layer_id: int) -> str:
        return f"enterprise:{organization_id}:quota:{quota_id}:layer:{layer_id}:voucher"

    @staticmethod
    def receivable(provider_id: int, programme_id: int, layer_id: int) -> str:
        return f"provider:{provider_id}:programme:{programme_id}:layer:{layer_id}:receivable"

    @staticmethod
    def reimbursed(programme_id: int, layer_id: int) -> str:
        return f"programme:{programme_id}:layer:{layer_id}:reimbursed"
