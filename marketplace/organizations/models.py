"""Organization and Membership."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import UTCDateTime, db, enum_type, utcnow


class OrganizationKind(enum.StrEnum):
    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"  # university or research institute
    PARK = "park"  # industrial park or landlord
    MAKER = "maker"  # maker team
    PROGRAMME_OFFICE = "programme_office"  # government programme office

    @property
    def label(self):
        return KIND_LABELS[self]


KIND_LABELS = {
    OrganizationKind.ENTERPRISE: _l("Enterprise (SME)"),
    OrganizationKind.UNIVERSITY: _l("University or research institute"),
    OrganizationKind.PARK: _l("Industrial park or landlord"),
    OrganizationKind.MAKER: _l("Maker team"),
    OrganizationKind.PROGRAMME_OFFICE: _l("Programme office (government)"),
}


class OrganizationSize(enum.StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"

    @property
    def label(self):
        return SIZE_LABELS[self]


SIZE_LABELS = {
    OrganizationSize.MICRO: _l("Micro"),
    OrganizationSize.SMALL: _l("Small"),
    OrganizationSize.MEDIUM: _l("Medium"),
    OrganizationSize.LARGE: _l("Large"),
}


class VerificationStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    VerificationStatus.PENDING: _l("Awaiting verification"),
    VerificationStatus.VERIFIED: _l("Verified"),
    VerificationStatus.REJECTED: _l("Verification refused"),
}


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    MEMBER = "member"

    @property
    def label(self):
        return _l("Owner") if self is MemberRole.OWNER else _l("Member")


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    kind: Mapped[OrganizationKind] = mapped_column(enum_type(OrganizationKind, "organization_kind"))
    industry: Mapped[str] = mapped_column(sa.String(1))  # GB/T 4754-2017 section letter A–T
    district_code: Mapped[str] = mapped_column(sa.String(12), index=True)
    size: Mapped[OrganizationSize] = mapped_column(enum_type(OrganizationSize, "organization_size"))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    needs: Mapped[str] = mapped_column(sa.Text, default="")  # enterprises: free-text needs
    actual_controller: Mapped[str | None] = mapped_column(sa.String(200))  # related-party rule
    address: Mapped[str | None] = mapped_column(sa.String(300))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(30))
    website: Mapped[str | None] = mapped_column(sa.String(200))
    # step 6: providers may see it among "enterprises that may need this listing" (opt-in)
    discoverable: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[VerificationStatus] = mapped_column(
        enum_type(VerificationStatus, "verification_status"), default=VerificationStatus.PENDING,
        index=True,
    )
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    memberships = relationship("Membership", back_populates="organization",
                               cascade="all, delete-orphan", order_by="Membership.id")
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        sa.CheckConstraint("length(credit_code) = 18", name="credit_code_length"),
        sa.CheckConstraint("industry >= 'A' AND industry <= 'T'", name="industry_section"),
    )

    IDENTITY_FIELDS = ("name_zh", "credit_code", "kind")

    @property
    def display_name(self) -> str:
        return self.name_zh

    @property
    def is_verified(self) -> bool:
        return self.status == VerificationStatus.VERIFIED

    @property
    def owners(self):
        return [m.user for m in self.memberships if m.role == MemberRole.OWNER]

    def snapshot(self) -> dict:
        """Plain values for the audit trail."""
        return {
            "name_zh": self.name_zh, "name_en": self.name_en, "credit_code": self.credit_code,
            "kind": str(self.kind), "industry": self.industry, "district_code": self.district_code,
            "size": str(self.size), "status": str(self.status),
            "rejection_reason": self.rejection_reason, "actual_controller": self.actual_controller,
        }

    # --- permissions -------------------------------------------------------------------------
    def _membership(self, user) -> Membership | None:
        if not user or not user.is_authenticated:
            return None
        for membership in self.memberships:
            if membership.user_id == user.id:
                return membership
        return None

    def is_member(self, user) -> bool:
        return self._membership(user) is not None

    def is_owner(self, user) -> bool:
        membership = self._membership(user)
        return membership is not None and membership.role == MemberRole.OWNER

    def can_view(self, user) -> bool:
        """The public profile: anyone for verified organisations, else members and officers."""
        return self.is_verified or self.can_view_private(user)

    def can_view_private(self, user) -> bool:
        """Members list, needs, controller, audit history."""
        return self.is_member(user) or bool(user and user.is_authenticated and user.is_officer)

    def can_edit(self, user) -> bool:
        return self.is_owner(user) or bool(user and user.is_authenticated and user.is_admin)

    def can_manage_members(self, user) -> bool:
        return self.is_owner(user)

    def can_verify(self, user) -> bool:
        return bool(user and user.is_authenticated and user.is_officer)

    def can_publish(self, user) -> bool:
        """Publishing listings and using vouchers need a verified organisation (later steps)."""
        return self.is_verified and self.is_member(user)

    # --- transitions -------------------------------------------------------------------------
    def verify(self, officer, now: datetime) -> None:
        self.status = VerificationStatus.VERIFIED
        self.rejection_reason = None
        self.decided_at = now
        self.decided_by_id = officer.id

    def reject(self, officer, reason: str, now: datetime) -> None:
        self.status = VerificationStatus.REJECTED
        self.rejection_reason = reason
        self.decided_at = now
        self.decided_by_id = officer.id

    def return_to_pending(self) -> None:
        self.status = VerificationStatus.PENDING
        self.decided_at = None
        self.decided_by_id = None

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name_zh}>"


class Membership(db.Model):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MemberRole] = mapped_column(enum_type(MemberRole, "member_role", 10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", back_populates="memberships")
    organization = relationship("Organization", back_populates="memberships")

    __table_args__ = (sa.UniqueConstraint("user_id", "organization_id"),)

    @classmethod
    def organization_ids_of(cls, user_id: int) -> sa.Select:
        """The ids of a user's organisations, as a subquery for ``.in_()`` (no extra statement)."""
        return sa.select(cls.organization_id).where(cls.user_id == user_id)


class OrganizationRelation(db.Model):
    """A declared relationship between two organisations (shareholding, common management,
    family ties of controllers …). Related parties may not pay each other with vouchers."""

    __tablename__ = "organization_relations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    related_organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(sa.String(300))
    declared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization = relationship("Organization", foreign_keys=[organization_id])
    related_organization = relationship("Organization", foreign_keys=[related_organization_id])

    __table_args__ = (
        sa.UniqueConstraint("organization_id", "related_organization_id"),
        sa.CheckConstraint("organization_id <> related_organization_id", name="not_self"),
    )


def normalize_controller(name: str | None) -> str:
    """Compare controllers' names ignoring case, spaces and full-width forms."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", name or "").split()).casefold()
