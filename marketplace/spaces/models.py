"""Space leasing models: viewing requests, lease offers and leases (step 5).

A viewing: requested (with 1–3 proposed times) → accepted (one of them chosen) / declined (with a
reason) / cancelled (by the requester, before or after it was accepted).
A lease offer, made by the prospective tenant: submitted → accepted (a ``Lease`` is concluded in
the same transaction) / declined (structured reason) / withdrawn (by its author).
A lease: active → ended. Money is integer fen, areas whole m², times timezone-aware UTC.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.errors import InvalidStateError
from marketplace.extensions import UTCDateTime, db, enum_type, utcnow
from marketplace.feedback import DeclineReason

VIEWING_MINUTES = 60  # how long a viewing is put in the calendar


def _is_officer(user) -> bool:
    return bool(user and user.is_authenticated and user.is_officer)


class ViewingStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return VIEWING_STATUS_LABELS[self]


VIEWING_STATUS_LABELS = {
    ViewingStatus.REQUESTED: _l("Awaiting the landlord"),
    ViewingStatus.ACCEPTED: _l("Viewing confirmed"),
    ViewingStatus.DECLINED: _l("Declined"),
    ViewingStatus.CANCELLED: _l("Cancelled"),
}


class LeaseOfferStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self):
        return OFFER_STATUS_LABELS[self]


OFFER_STATUS_LABELS = {
    LeaseOfferStatus.SUBMITTED: _l("Awaiting the landlord"),
    LeaseOfferStatus.ACCEPTED: _l("Accepted"),
    LeaseOfferStatus.DECLINED: _l("Declined"),
    LeaseOfferStatus.WITHDRAWN: _l("Withdrawn"),
}


class LeaseStatus(enum.StrEnum):
    ACTIVE = "active"
    ENDED = "ended"

    @property
    def label(self):
        return {LeaseStatus.ACTIVE: _l("Active"), LeaseStatus.ENDED: _l("Ended")}[self]


class _Deal:
    """Shared permissions of a viewing or an offer: the space's landlord organisation and the
    requesting (tenant) organisation take part; officers may look."""

    def is_landlord(self, user) -> bool:
        return self.space.organization.is_member(user)

    def is_requester(self, user) -> bool:
        return self.tenant_organization.is_member(user)

    def can_view(self, user) -> bool:
        return self.is_landlord(user) or self.is_requester(user) or _is_officer(user)


class Viewing(_Deal, db.Model):
    __tablename__ = "space_viewings"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id"), index=True)
    tenant_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    option_1_at: Mapped[datetime] = mapped_column(UTCDateTime)
    option_2_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    option_3_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[ViewingStatus] = mapped_column(
        enum_type(ViewingStatus, "viewing_status", 12), default=ViewingStatus.REQUESTED,
        index=True)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the accepted time
    decline_note: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    space = relationship("Space")
    tenant_organization = relationship("Organization", foreign_keys=[tenant_org_id])
    requested_by = relationship("User", foreign_keys=[requested_by_id])

    __table_args__ = (
        sa.CheckConstraint("status != 'accepted' OR scheduled_at IS NOT NULL", name="scheduled"),
    )

    @property
    def options(self) -> list[datetime]:
        return [t for t in (self.option_1_at, self.option_2_at, self.option_3_at) if t]

    @property
    def ends_at(self) -> datetime | None:
        return self.scheduled_at + timedelta(minutes=VIEWING_MINUTES) if self.scheduled_at else None

    @property
    def is_open(self) -> bool:
        return self.status == ViewingStatus.REQUESTED

    def can_decide(self, user) -> bool:
        return self.is_landlord(user)

    def can_cancel(self, user) -> bool:
        return self.is_requester(user)

    def can_download(self, user) -> bool:
        return self.status == ViewingStatus.ACCEPTED and (
            self.is_landlord(user) or self.is_requester(user))

    def _require(self, *allowed: ViewingStatus) -> None:
        if self.status not in allowed:
            raise InvalidStateError(_l("This viewing request is %(status)s.",
                                       status=self.status.label))

    def accept(self, chosen: datetime, by, now: datetime) -> None:
        self._require(ViewingStatus.REQUESTED)
        self.status = ViewingStatus.ACCEPTED
        self.scheduled_at = chosen
        self.decided_by_id, self.decided_at = by.id, now

    def decline(self, note: str, by, now: datetime) -> None:
        self._require(ViewingStatus.REQUESTED)
        self.status = ViewingStatus.DECLINED
        self.decline_note = note
        self.decided_by_id, self.decided_at = by.id, now

    def cancel(self, now: datetime) -> None:
        self._require(ViewingStatus.REQUESTED, ViewingStatus.ACCEPTED)
        self.status = ViewingStatus.CANCELLED
        self.cancelled_at = now


class LeaseOffer(_Deal, db.Model):
    __tablename__ = "space_lease_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id"), index=True)
    tenant_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    area_m2: Mapped[int]
    monthly_rent_fen: Mapped[int] = mapped_column(sa.BigInteger)
    term_months: Mapped[int]
    start_date: Mapped[date]
    deposit_fen: Mapped[int] = mapped_column(sa.BigInteger)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[LeaseOfferStatus] = mapped_column(
        enum_type(LeaseOfferStatus, "lease_offer_status", 12),
        default=LeaseOfferStatus.SUBMITTED, index=True)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(
        enum_type(DeclineReason, "lease_decline_reason", 16))
    decline_note: Mapped[str | None] = mapped_column(sa.Text)
    # the one-time key of the offer form: the same form sent twice finds this offer
    request_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    space = relationship("Space")
    tenant_organization = relationship("Organization", foreign_keys=[tenant_org_id])
    author = relationship("User", foreign_keys=[author_id])

    __table_args__ = (
        sa.CheckConstraint("area_m2 > 0", name="area"),
        sa.CheckConstraint("monthly_rent_fen >= 0 AND deposit_fen >= 0", name="money"),
        sa.CheckConstraint("term_months > 0", name="term"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == LeaseOfferStatus.SUBMITTED

    def can_decide(self, user) -> bool:
        return self.is_landlord(user)

    def can_withdraw(self, user) -> bool:
        return self.is_requester(user)

    def _require(self, *allowed: LeaseOfferStatus) -> None:
        if self.status not in allowed:
            raise InvalidStateError(_l("This lease offer is %(status)s.",
                                       status=self.status.label))

    def accept(self, by, now: datetime) -> None:
        self._require(LeaseOfferStatus.SUBMITTED)
        self.status = LeaseOfferStatus.ACCEPTED
        self.decided_by_id, self.decided_at = by.id, now

    def decline(self, reason: DeclineReason, note: str, by, now: datetime) -> None:
        self._require(LeaseOfferStatus.SUBMITTED)
        self.status = LeaseOfferStatus.DECLINED
        self.decline_reason, self.decline_note = reason, note
        self.decided_by_id, self.decided_at = by.id, now

    def withdraw(self, now: datetime) -> None:
        self._require(LeaseOfferStatus.SUBMITTED)
        self.status = LeaseOfferStatus.WITHDRAWN
        self.decided_at = now

    def snapshot(self) -> dict:
        return {"status": str(self.status), "area_m2": self.area_m2,
                "monthly_rent_fen": self.monthly_rent_fen, "term_months": self.term_months,
                "start_date": self.start_date.isoformat(), "deposit_fen": self.deposit_fen}


class Lease(db.Model):
    """The lease concluded when the landlord accepted an offer (the contract's key terms)."""

    __tablename__ = "space_leases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(24), unique=True)  # CZ-SL-2026-000123
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id"), index=True)
    landlord_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    tenant_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("space_lease_offers.id"),
                                                 unique=True)
    area_m2: Mapped[int]
    monthly_rent_fen: Mapped[int] = mapped_column(sa.BigInteger)
    term_months: Mapped[int]
    start_date: Mapped[date]
    deposit_fen: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[LeaseStatus] = mapped_column(
        enum_type(LeaseStatus, "lease_status", 10), default=LeaseStatus.ACTIVE, index=True)
    concluded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    space = relationship("Space")
    landlord_organization = relationship("Organization", foreign_keys=[landlord_org_id])
    tenant_organization = relationship("Organization", foreign_keys=[tenant_org_id])
    offer = relationship("LeaseOffer")

    __table_args__ = (
        sa.CheckConstraint("area_m2 > 0", name="area"),
        sa.CheckConstraint("monthly_rent_fen >= 0 AND deposit_fen >= 0", name="money"),
        sa.CheckConstraint("term_months > 0", name="term"),
    )

    @property
    def end_date(self) -> date:
        """The day after the last day of the term."""
        months = self.start_date.month - 1 + self.term_months
        year, month = self.start_date.year + months // 12, months % 12 + 1
        import calendar

        day = min(self.start_date.day, calendar.monthrange(year, month)[1])
        return date(year, month, day)

    @property
    def is_active(self) -> bool:
        return self.status == LeaseStatus.ACTIVE

    def is_participant(self, user) -> bool:
        return (self.landlord_organization.is_member(user)
                or self.tenant_organization.is_member(user))

    def can_view(self, user) -> bool:
        return self.is_participant(user) or _is_officer(user)

    def can_end(self, user) -> bool:
        return self.landlord_organization.is_member(user)

    def end(self, now: datetime) -> None:
        if self.status != LeaseStatus.ACTIVE:
            raise InvalidStateError(_l("This lease has already ended."))
        self.status = LeaseStatus.ENDED
        self.ended_at = now

    def __repr__(self) -> str:
        return f"<Lease {self.number} space={self.space_id} {self.area_m2} m² {self.status}>"
