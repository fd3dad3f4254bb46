"""Listing models: one ``listings`` table for what all kinds share, one table per kind (joined
table inheritance), plus photos and the campaign's wanted expertise, resources and reward tiers.

Money is integer fen; areas are whole square metres; times are timezone-aware UTC.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import UTCDateTime, db, enum_type, utcnow


class ListingKind(enum.StrEnum):
    INSTRUMENT = "instrument"
    TECHNOLOGY = "technology"
    SPACE = "space"
    CAMPAIGN = "campaign"
    NEED = "need"  # step 5: an enterprise's need (技术需求), a reverse listing

    @property
    def label(self):
        return KIND_LABELS[self]

    @property
    def is_public(self) -> bool:
        """Everyone may find it; a need is shown to verified organisations only."""
        return self is not ListingKind.NEED


PUBLIC_KINDS = tuple(kind for kind in ListingKind if kind.is_public)


KIND_LABELS = {
    ListingKind.INSTRUMENT: _l("Shared instrument"),
    ListingKind.TECHNOLOGY: _l("Technology"),
    ListingKind.SPACE: _l("Space"),
    ListingKind.CAMPAIGN: _l("Crowdfunding campaign"),
    ListingKind.NEED: _l("Enterprise need"),
}


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ListingStatus.DRAFT: _l("Draft"),
    ListingStatus.PUBLISHED: _l("Published"),
    ListingStatus.ARCHIVED: _l("Archived"),
}


class Listing(db.Model):
    """What every kind of listing has; ``kind`` selects the subclass."""

    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ListingKind] = mapped_column(enum_type(ListingKind, "listing_kind"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    title_zh: Mapped[str | None] = mapped_column(sa.String(200))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    summary_zh: Mapped[str | None] = mapped_column(sa.String(1000))
    summary_en: Mapped[str | None] = mapped_column(sa.String(1000))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    tags: Mapped[str] = mapped_column(sa.String(500), default="")  # comma-separated
    district_code: Mapped[str] = mapped_column(sa.String(12), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(300))
    contact_name: Mapped[str | None] = mapped_column(sa.String(80))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(30))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[ListingStatus] = mapped_column(
        enum_type(ListingStatus, "listing_status", 10), default=ListingStatus.DRAFT, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization = relationship("Organization", lazy="joined")
    photos = relationship("ListingPhoto", back_populates="listing", cascade="all, delete-orphan",
                          order_by="ListingPhoto.position")

    __mapper_args__ = {"polymorphic_on": "kind"}
    __table_args__ = (
        sa.CheckConstraint("title_zh IS NOT NULL OR title_en IS NOT NULL", name="has_title"),
    )

    # --- presentation -----------------------------------------------------------------------
    def title_for(self, language: str) -> str:
        if language == "en":
            return self.title_en or self.title_zh or ""
        return self.title_zh or self.title_en or ""

    def summary_for(self, language: str) -> str:
        if language == "en":
            return self.summary_en or self.summary_zh or ""
        return self.summary_zh or self.summary_en or ""

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in (self.tags or "").split(",") if t.strip()]

    @property
    def price_fen(self) -> int | None:
        """The price used for sorting and the price filter (kind-specific meaning)."""
        return None

    @property
    def category(self) -> str | None:
        """The kind-specific category used for facets."""
        return None

    def search_texts(self) -> dict[str, str]:
        """Kind-specific searchable text; subclasses add to it."""
        return {}

    def labels(self) -> list:
        """The (lazily translated) labels that describe this listing: kind, category, modes."""
        result = [self.kind.label]
        for attr in ("instrument_category", "patent_type", "legal_status", "space_type"):
            value = getattr(self, attr, None)
            if value is not None:
                result.append(value.label)
        result += [mode.label for mode in getattr(self, "modes", [])]
        return result

    # --- permissions --------------------------------------------------------------------------
    @property
    def is_published(self) -> bool:
        return self.status == ListingStatus.PUBLISHED

    @property
    def is_searchable(self) -> bool:
        """In the search index: published (a space also needs area left to let)."""
        return self.is_published

    def can_view(self, user) -> bool:
        return self.is_published or self.can_edit(user) or bool(
            user and user.is_authenticated and user.is_officer)

    def can_edit(self, user) -> bool:
        return self.organization is not None and self.organization.is_member(user)

    def can_publish(self, user) -> bool:
        """Members of a verified organisation of a fitting kind."""
        org = self.organization
        return (org is not None and org.can_publish(user)
                and org.kind.value in PUBLISHER_KINDS[self.kind])

    # --- transitions --------------------------------------------------------------------------
    def publish(self, now: datetime) -> None:
        self.status = ListingStatus.PUBLISHED
        self.published_at = self.published_at or now
        self.archived_at = None

    def archive(self, now: datetime) -> None:
        self.status = ListingStatus.ARCHIVED
        self.archived_at = now


# Which kinds of organisation may publish which kinds of listing (organisation kind values; the
# programme office may publish anything, e.g. on behalf of a provider).
PUBLISHER_KINDS = {
    ListingKind.INSTRUMENT: {"university", "enterprise", "programme_office"},
    ListingKind.TECHNOLOGY: {"university", "enterprise", "maker", "programme_office"},
    ListingKind.SPACE: {"park", "enterprise", "university", "programme_office"},
    ListingKind.CAMPAIGN: {"maker", "enterprise", "programme_office"},
    ListingKind.NEED: {"enterprise", "maker"},
}


def can_see_needs(user) -> bool:
    """Needs (技术需求) are for the providers who could answer them: members of a verified
    organisation, and officers."""
    if not (user and user.is_authenticated):
        return False
    if user.is_officer:
        return True
    return any(m.organization.is_verified for m in user.memberships)


def visible_kinds(user) -> tuple[ListingKind, ...]:
    """The listing kinds ``user`` may find in search."""
    return tuple(ListingKind) if can_see_needs(user) else PUBLIC_KINDS



# ---------------------------------------------------------------------------------------------
class InstrumentCategory(enum.StrEnum):
    ELECTRON_MICROSCOPY = "electron_microscopy"
    OPTICAL_MICROSCOPY = "optical_microscopy"
    CHROMATOGRAPHY = "chromatography"
    MASS_SPECTROMETRY = "mass_spectrometry"
    SPECTROSCOPY = "spectroscopy"
    X_RAY = "x_ray"
    THERMAL_ANALYSIS = "thermal_analysis"
    MATERIALS_TESTING = "materials_testing"
    ADDITIVE_MANUFACTURING = "additive_manufacturing"
    MACHINING = "machining"
    ELECTRONICS_TESTING = "electronics_testing"
    LIFE_SCIENCES = "life_sciences"
    ENVIRONMENTAL = "environmental"
    OTHER = "other"

    @property
    def label(self):
        return INSTRUMENT_CATEGORY_LABELS[self]


INSTRUMENT_CATEGORY_LABELS = {
    InstrumentCategory.ELECTRON_MICROSCOPY: _l("Electron microscopy"),
    InstrumentCategory.OPTICAL_MICROSCOPY: _l("Optical microscopy"),
    InstrumentCategory.CHROMATOGRAPHY: _l("Chromatography"),
    InstrumentCategory.MASS_SPECTROMETRY: _l("Mass spectrometry"),
    InstrumentCategory.SPECTROSCOPY: _l("Spectroscopy"),
    InstrumentCategory.X_RAY: _l("X-ray analysis"),
    InstrumentCategory.THERMAL_ANALYSIS: _l("Thermal analysis"),
    InstrumentCategory.MATERIALS_TESTING: _l("Materials testing"),
    InstrumentCategory.ADDITIVE_MANUFACTURING: _l("Additive manufacturing (3D printing)"),
    InstrumentCategory.MACHINING: _l("Precision machining"),
    InstrumentCategory.ELECTRONICS_TESTING: _l("Electronics testing"),
    InstrumentCategory.LIFE_SCIENCES: _l("Life sciences"),
    InstrumentCategory.ENVIRONMENTAL: _l("Environmental monitoring"),
    InstrumentCategory.OTHER: _l("Other"),
}


class Instrument(Listing):
    """A shared research instrument (large lab equipment) that outside firms can book."""

    __tablename__ = "instruments"
    __mapper_args__ = {"polymorphic_identity": ListingKind.INSTRUMENT}

    id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                    primary_key=True)
    instrument_category: Mapped[InstrumentCategory] = mapped_column(
        enum_type(InstrumentCategory, "instrument_category", 30), index=True)
    manufacturer: Mapped[str | None] = mapped_column(sa.String(120))
    model_name: Mapped[str | None] = mapped_column(sa.String(120))
    year_made: Mapped[int | None]
    capabilities: Mapped[str] = mapped_column(sa.Text, default="")
    sample_requirements: Mapped[str] = mapped_column(sa.Text, default="")
    lab_location: Mapped[str | None] = mapped_column(sa.String(200))
    rate_internal_fen: Mapped[int] = mapped_column(sa.BigInteger)  # per hour
    rate_external_fen: Mapped[int] = mapped_column(sa.BigInteger)  # per hour
    min_booking_minutes: Mapped[int] = mapped_column(default=60)
    max_booking_minutes: Mapped[int] = mapped_column(default=480)
    # {"0": [["08:30", "12:00"], ["14:00", "17:30"]], ...}; 0 = Monday, Asia/Shanghai local time
    opening_hours: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    closed_dates: Mapped[list] = mapped_column(sa.JSON, default=list)  # ["2027-02-10", ...]
    requires_training: Mapped[bool] = mapped_column(default=False)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    accepts_vouchers: Mapped[bool] = mapped_column(default=True)
    # booking rules
    booking_step_minutes: Mapped[int] = mapped_column(default=30)  # slots start on this grid
    booking_horizon_days: Mapped[int] = mapped_column(default=90)  # how far ahead
    lead_time_hours: Mapped[int] = mapped_column(default=24)  # how soon at the earliest
    free_cancellation_hours: Mapped[int] = mapped_column(default=24)  # free until N h before
    late_cancellation_bp: Mapped[int] = mapped_column(default=5000)  # share charged after that
    no_show_bp: Mapped[int] = mapped_column(default=10000)  # share charged for a no-show

    __table_args__ = (
        sa.CheckConstraint("rate_internal_fen >= 0 AND rate_external_fen >= 0", name="rates"),
        sa.CheckConstraint("min_booking_minutes > 0 AND max_booking_minutes >= min_booking_minutes",
                           name="booking_length"),
        sa.CheckConstraint("booking_step_minutes BETWEEN 5 AND 240 AND booking_horizon_days > 0 "
                           "AND lead_time_hours >= 0 AND free_cancellation_hours >= 0",
                           name="booking_rules"),
        sa.CheckConstraint("late_cancellation_bp BETWEEN 0 AND 10000 "
                           "AND no_show_bp BETWEEN 0 AND 10000", name="charge_shares"),
    )

    @property
    def price_fen(self) -> int | None:
        return self.rate_external_fen

    @property
    def category(self) -> str | None:
        return self.instrument_category.value

    def search_texts(self) -> dict[str, str]:
        return {"details": " ".join(filter(None, [
            self.manufacturer, self.model_name, self.capabilities, self.sample_requirements,
            self.lab_location]))}


# ---------------------------------------------------------------------------------------------
class PatentType(enum.StrEnum):
    INVENTION = "invention"
    UTILITY_MODEL = "utility_model"
    DESIGN = "design"

    @property
    def label(self):
        return {PatentType.INVENTION: _l("Invention patent"),
                PatentType.UTILITY_MODEL: _l("Utility model"),
                PatentType.DESIGN: _l("Design patent")}[self]


class LegalStatus(enum.StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    EXPIRED = "expired"
    NOT_PATENTED = "not_patented"  # know-how, software, unpatented technology

    @property
    def label(self):
        return {LegalStatus.PENDING: _l("Application pending"),
                LegalStatus.GRANTED: _l("Granted, in force"),
                LegalStatus.EXPIRED: _l("Expired or lapsed"),
                LegalStatus.NOT_PATENTED: _l("Not patented (know-how)")}[self]


class LicensingMode(enum.StrEnum):
    EXCLUSIVE = "exclusive"
    NON_EXCLUSIVE = "non_exclusive"
    ASSIGNMENT = "assignment"
    JOINT_DEVELOPMENT = "joint_development"

    @property
    def label(self):
        return {LicensingMode.EXCLUSIVE: _l("Exclusive licence"),
                LicensingMode.NON_EXCLUSIVE: _l("Non-exclusive licence"),
                LicensingMode.ASSIGNMENT: _l("Assignment (transfer of ownership)"),
                LicensingMode.JOINT_DEVELOPMENT: _l("Joint development")}[self]


class Technology(Listing):
    """A patent or technology offered for licensing (technology transfer)."""

    __tablename__ = "technologies"
    __mapper_args__ = {"polymorphic_identity": ListingKind.TECHNOLOGY}

    id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                    primary_key=True)
    patent_number: Mapped[str | None] = mapped_column(sa.String(20), index=True)  # normalised
    patent_type: Mapped[PatentType | None] = mapped_column(enum_type(PatentType, "patent_type"))
    ipc_class: Mapped[str | None] = mapped_column(sa.String(40))
    filing_date: Mapped[date | None]
    grant_date: Mapped[date | None]
    legal_status: Mapped[LegalStatus] = mapped_column(enum_type(LegalStatus, "legal_status"))
    inventors: Mapped[str | None] = mapped_column(sa.String(300))
    licensing_modes: Mapped[list] = mapped_column(sa.JSON, default=list)  # LicensingMode values
    asking_price_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # None = negotiable
    trl: Mapped[int]  # technology readiness level 1–9
    field_of_application: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (
        sa.CheckConstraint("trl BETWEEN 1 AND 9", name="trl_range"),
        sa.CheckConstraint("asking_price_fen IS NULL OR asking_price_fen >= 0", name="price"),
    )

    @property
    def price_fen(self) -> int | None:
        return self.asking_price_fen

    @property
    def category(self) -> str | None:
        return self.patent_type.value if self.patent_type else LegalStatus.NOT_PATENTED.value

    @property
    def modes(self) -> list[LicensingMode]:
        return [LicensingMode(m) for m in self.licensing_modes or []]

    def search_texts(self) -> dict[str, str]:
        return {"details": " ".join(filter(None, [
            self.patent_number, self.ipc_class, self.inventors, self.field_of_application]))}


# ---------------------------------------------------------------------------------------------
class SpaceType(enum.StrEnum):
    FACTORY = "factory"
    WAREHOUSE = "warehouse"
    OFFICE = "office"
    INCUBATOR_DESK = "incubator_desk"
    LAB = "lab"

    @property
    def label(self):
        return {SpaceType.FACTORY: _l("Factory building"), SpaceType.WAREHOUSE: _l("Warehouse"),
                SpaceType.OFFICE: _l("Office"), SpaceType.INCUBATOR_DESK: _l("Incubator desk"),
                SpaceType.LAB: _l("Laboratory space")}[self]


class Space(Listing):
    """Vacant factory, warehouse, office or incubator space."""

    __tablename__ = "spaces"
    __mapper_args__ = {"polymorphic_identity": ListingKind.SPACE}

    id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                    primary_key=True)
    space_type: Mapped[SpaceType] = mapped_column(enum_type(SpaceType, "space_type"), index=True)
    area_m2: Mapped[int]
    area_free_m2: Mapped[int]
    floor_height_m: Mapped[float | None]
    floor_load_kn_m2: Mapped[float | None]
    power_kva: Mapped[int | None]
    rent_fen_per_m2_month: Mapped[int] = mapped_column(sa.BigInteger)
    available_from: Mapped[date | None]
    min_lease_months: Mapped[int] = mapped_column(default=1)
    park_name: Mapped[str | None] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.CheckConstraint("area_m2 > 0 AND area_free_m2 >= 0 AND area_free_m2 <= area_m2",
                           name="area"),
        sa.CheckConstraint("rent_fen_per_m2_month >= 0", name="rent"),
    )

    @property
    def price_fen(self) -> int | None:
        return self.rent_fen_per_m2_month

    @property
    def is_searchable(self) -> bool:
        return self.is_published and self.area_free_m2 > 0

    @property
    def category(self) -> str | None:
        return self.space_type.value

    def search_texts(self) -> dict[str, str]:
        return {"details": " ".join(filter(None, [self.park_name]))}


# ---------------------------------------------------------------------------------------------
class Campaign(Listing):
    """A 三筹 crowdfunding campaign: money (筹资金), expertise (筹智慧), resources (筹资源)."""

    __tablename__ = "campaigns"
    __mapper_args__ = {"polymorphic_identity": ListingKind.CAMPAIGN}

    id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                    primary_key=True)
    money_goal_fen: Mapped[int] = mapped_column(sa.BigInteger)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)

    expertise_needs = relationship("ExpertiseNeed", back_populates="campaign",
                                   cascade="all, delete-orphan", order_by="ExpertiseNeed.id")
    resource_needs = relationship("ResourceNeed", back_populates="campaign",
                                  cascade="all, delete-orphan", order_by="ResourceNeed.id",
                                  foreign_keys="ResourceNeed.campaign_id")
    reward_tiers = relationship("RewardTier", back_populates="campaign",
                                cascade="all, delete-orphan", order_by="RewardTier.min_pledge_fen")

    __table_args__ = (sa.CheckConstraint("money_goal_fen >= 0", name="goal"),)

    @property
    def price_fen(self) -> int | None:
        return self.money_goal_fen

    @property
    def category(self) -> str | None:
        return "campaign"

    @property
    def closes_at(self) -> datetime:
        """The last moment of the campaign (the deadline itself is the first moment after it),
        for showing "until <day>" without naming the day after."""
        return self.deadline - timedelta(microseconds=1)

    @property
    def expertise_hours(self) -> int:
        return sum(need.hours for need in self.expertise_needs)

    def search_texts(self) -> dict[str, str]:
        parts = [n.skill for n in self.expertise_needs] + [r.item for r in self.resource_needs]
        parts += [t.title for t in self.reward_tiers]
        return {"details": " ".join(parts)}


class ExpertiseNeed(db.Model):
    """筹智慧: a skill the campaign wants, and for how many hours."""

    __tablename__ = "campaign_expertise_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    skill: Mapped[str] = mapped_column(sa.String(200))
    hours: Mapped[int]

    campaign = relationship("Campaign", back_populates="expertise_needs")

    __table_args__ = (sa.CheckConstraint("hours > 0", name="hours"),)


class ResourceNeed(db.Model):
    """筹资源: equipment, space or material the campaign wants, optionally a listing."""

    __tablename__ = "campaign_resource_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    item: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[str | None] = mapped_column(sa.String(60))
    linked_listing_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="SET NULL"))

    campaign = relationship("Campaign", back_populates="resource_needs",
                            foreign_keys=[campaign_id])
    linked_listing = relationship("Listing", foreign_keys=[linked_listing_id])


class RewardTier(db.Model):
    """A reward offered to backers who pledge at least ``min_pledge_fen``."""

    __tablename__ = "campaign_reward_tiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    min_pledge_fen: Mapped[int] = mapped_column(sa.BigInteger)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # step 4, pledges slice (migration c63e1a4d9f52): how many backers the reward can go to
    # (None = unlimited; pending and paid pledges hold a unit) and when it should arrive
    quantity_limit: Mapped[int | None] = mapped_column()
    estimated_delivery: Mapped[date | None] = mapped_column()  # the first day of the month

    campaign = relationship("Campaign", back_populates="reward_tiers")

    __table_args__ = (sa.CheckConstraint("min_pledge_fen > 0", name="min_pledge"),
                      sa.CheckConstraint("quantity_limit IS NULL OR quantity_limit > 0",
                                         name="quantity_limit"))


# ---------------------------------------------------------------------------------------------
class SolutionKind(enum.StrEnum):
    """What would solve an enterprise's need."""

    INSTRUMENT_TIME = "instrument_time"
    TECHNOLOGY = "technology"
    SPACE = "space"
    EXPERTISE = "expertise"

    @property
    def label(self):
        return {SolutionKind.INSTRUMENT_TIME: _l("Instrument time"),
                SolutionKind.TECHNOLOGY: _l("Technology"),
                SolutionKind.SPACE: _l("Space"),
                SolutionKind.EXPERTISE: _l("Expertise")}[self]


class Need(Listing):
    """An enterprise's need (技术需求): a reverse listing that providers answer with proposals
    (marketplace/needs). Published = open to proposals; solving or closing it archives it. Only
    verified organisations' members and officers see it (``can_see_needs``)."""

    __tablename__ = "needs"
    __mapper_args__ = {"polymorphic_identity": ListingKind.NEED}

    id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                    primary_key=True)
    solution_kinds: Mapped[list] = mapped_column(sa.JSON, default=list)  # SolutionKind values
    budget_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # None = open to offers
    deadline: Mapped[date | None] = mapped_column()  # answers wanted by this day (Beijing)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint("budget_fen IS NULL OR budget_fen >= 0", name="budget"),)

    @property
    def price_fen(self) -> int | None:
        return self.budget_fen

    @property
    def category(self) -> str | None:
        return "need"

    @property
    def solutions(self) -> list[SolutionKind]:
        return [SolutionKind(k) for k in self.solution_kinds or []]

    @property
    def is_solved(self) -> bool:
        return self.solved_at is not None

    @property
    def is_open(self) -> bool:
        return self.is_published and not self.is_solved

    def labels(self) -> list:
        return super().labels() + [kind.label for kind in self.solutions]

    def can_view(self, user) -> bool:
        if self.can_edit(user) or (user and user.is_authenticated and user.is_officer):
            return True
        if self.is_published and can_see_needs(user):
            return True
        return self.is_solved and self.has_proposal_from(user)

    def has_proposal_from(self, user) -> bool:
        """A member of an organisation that proposed keeps seeing the need once it is solved."""
        if not (user and user.is_authenticated and user.memberships):
            return False
        from marketplace.needs.models import NeedProposal  # the needs package builds on this

        org_ids = [m.organization_id for m in user.memberships]
        return db.session.scalar(sa.select(sa.exists().where(
            NeedProposal.need_id == self.id, NeedProposal.provider_org_id.in_(org_ids)))) is True

    def solve(self, now: datetime) -> None:
        self.solved_at = now
        self.archive(now)


class ListingPhoto(db.Model):
    """An uploaded image; stored under a generated name outside the web root."""

    __tablename__ = "listing_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            index=True)
    storage_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size_bytes: Mapped[int]
    caption: Mapped[str | None] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    listing = relationship("Listing", back_populates="photos")


class CatalogueChange(db.Model):
    """One row per statement that changed what visitors see of the catalogue (listings and their
    kinds' tables, campaign parts, photos, organisations), written by database triggers (migration
    b9c0d1e2f3a5), so that Core and ORM writes alike are noted. The newest committed id and a
    count of the committed rows below it are the catalogue's generation, which the visitors'
    page cache (marketplace.pagecache) puts in its keys: a committed edit changes it on every node
    at once, without a lock (an insert-only log, not a counter row that writers would queue on).
    The periodic jobs prune rows older than an hour."""

    __tablename__ = "catalogue_changes"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                    primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 server_default=sa.func.current_timestamp())


# the tables whose writes CatalogueChange notes (the triggers of migration b9c0d1e2f3a5)
CATALOGUE_TABLES = ("listings", "instruments", "technologies", "spaces", "campaigns",
                    "campaign_expertise_needs", "campaign_resource_needs",
                    "campaign_reward_tiers", "needs", "listing_photos", "organizations")
