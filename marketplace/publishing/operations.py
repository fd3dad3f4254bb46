"""Listing operations: create, edit, publish, archive, delete, photos.

Invariants: only members of the owning organisation edit a listing; only members of a verified
organisation of a fitting kind publish (``Listing.can_publish``); a listing has a title in at
least one language, a real Changzhi district, non-negative prices, consistent lengths and areas;
published listings are in the search index after the commit that published them (the session
hooks of ``listings.indexing`` do it); only drafts and archived listings can be deleted.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from listings.models import (
    Campaign,
    ExpertiseNeed,
    Instrument,
    InstrumentCategory,
    LegalStatus,
    LicensingMode,
    Listing,
    ListingKind,
    ListingPhoto,
    ListingStatus,
    Need,
    PatentType,
    ResourceNeed,
    RewardTier,
    Space,
    SolutionKind,
    SpaceType,
    Technology,
)
from listings.patents import PatentNumberError, normalize_patent_number
from marketplace.audit import record_audit
from marketplace.campaigns import operations as campaign_rules
from marketplace.errors import DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.post_commit import after_commit, after_rollback
from marketplace.reference import get_area

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
MODELS = {ListingKind.INSTRUMENT: Instrument, ListingKind.TECHNOLOGY: Technology,
          ListingKind.SPACE: Space, ListingKind.CAMPAIGN: Campaign, ListingKind.NEED: Need}
PHOTO_TYPES = {b"\xff\xd8\xff": ("image/jpeg", "jpg"), b"\x89PNG\r\n\x1a\n": ("image/png", "png")}
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 8

ENUM_FIELDS = {"instrument_category": InstrumentCategory, "space_type": SpaceType,
               "patent_type": PatentType, "legal_status": LegalStatus}
CAMPAIGN_CHILDREN = ("expertise_needs", "resource_needs", "reward_tiers", "deadline_date")


def _clean(kind: ListingKind, values: dict, listing: Listing | None = None) -> dict:
    """Cross-field rules; raises DomainError naming the field."""
    for key, enum_cls in ENUM_FIELDS.items():
        if values.get(key) is not None and not isinstance(values[key], enum_cls):
            try:
                values[key] = enum_cls(values[key])
            except ValueError:
                raise DomainError(_("Choose one of the offered options."), key) from None
    free_text = ("description", "tags", "capabilities", "sample_requirements",
                 "field_of_application")
    for key, value in list(values.items()):
        if type(value) is str:  # not StrEnum members, which are str too
            value = value.strip()
            values[key] = value if value or key in free_text else None
        elif value is None and key in free_text:
            values[key] = ""
    if not values.get("title_zh") and not values.get("title_en"):
        raise DomainError(_("Give a title in Chinese, in English, or both."), "title_zh")
    if get_area(values.get("district_code")) is None:
        raise DomainError(_("Choose a district, county or development zone of Changzhi."),
                          "district_code")
    if "tags" in values:
        tags = [t.strip() for t in values["tags"].replace("，", ",").split(",") if t.strip()]
        values["tags"] = ", ".join(dict.fromkeys(tags))[:500]
    if kind == ListingKind.INSTRUMENT:
        if values["max_booking_minutes"] < values["min_booking_minutes"]:
            raise DomainError(_("The longest booking cannot be shorter than the shortest."),
                              "max_booking_minutes")
        for key in ("rate_internal_fen", "rate_external_fen"):
            if values[key] is None or values[key] < 0:
                raise DomainError(_("Enter a rate of zero or more."), key)
    elif kind == ListingKind.TECHNOLOGY:
        if values.get("patent_number"):
            try:
                values["patent_number"] = normalize_patent_number(values["patent_number"])
            except PatentNumberError:
                raise DomainError(_("This is not a Chinese patent application number. Write it "
                                    "like ZL201910123456.7 or 2019101234567."),
                                  "patent_number") from None
        filing, grant = values.get("filing_date"), values.get("grant_date")
        if filing and grant and grant < filing:
            raise DomainError(_("A patent cannot be granted before it was filed."), "grant_date")
        modes = values.get("licensing_modes") or []
        if not modes or any(m not in {x.value for x in LicensingMode} for m in modes):
            raise DomainError(_("Choose at least one way to license the technology."),
                              "licensing_modes")
        values["licensing_modes"] = list(dict.fromkeys(modes))
        if not 1 <= int(values.get("trl") or 0) <= 9:
            raise DomainError(_("The readiness level is a number from 1 to 9."), "trl")
    elif kind == ListingKind.SPACE:
        if values.get("area_free_m2") is None:
            values["area_free_m2"] = values["area_m2"]
        if values["area_free_m2"] > values["area_m2"]:
            raise DomainError(_("The free area cannot exceed the total area."), "area_free_m2")
        if listing is not None:
            from marketplace.spaces.operations import leased_area
            from marketplace.transactions import lock

            lock(db.session, Space, listing.id)  # waits for a lease being accepted
            leased = leased_area(db.session, listing)
            if values["area_free_m2"] > values["area_m2"] - leased:
                raise DomainError(_("%(leased)s m² are let through the platform, so at most "
                                    "%(free)s m² can be free.", leased=leased,
                                    free=max(values["area_m2"] - leased, 0)), "area_free_m2")
    elif kind == ListingKind.CAMPAIGN:
        # absent once the campaign has left the draft state: going live sets the deadline
        if "deadline_date" in values:
            deadline_date: date = values.pop("deadline_date")
            deadline = datetime.combine(deadline_date + timedelta(days=1), time(0), SHANGHAI)
            if deadline <= utcnow():
                raise DomainError(_("The deadline must be in the future."), "deadline")
            values["deadline"] = deadline.astimezone(ZoneInfo("UTC"))
        for _title, minimum, _desc in values.get("reward_tiers", []):
            if not minimum or minimum <= 0:
                raise DomainError(_("A reward needs a minimum pledge above zero."), "reward_tiers")
        linked = [row[2] for row in values.get("resource_needs", []) if row[2]]
        if linked:
            found = set(db.session.scalars(sa.select(Listing.id).where(
                Listing.id.in_(linked), Listing.status == ListingStatus.PUBLISHED,
                Listing.kind.in_([ListingKind.INSTRUMENT, ListingKind.SPACE]))))
            if set(linked) - found:
                raise DomainError(_("A linked listing must be a published instrument or space."),
                                  "resource_needs")
    elif kind == ListingKind.NEED:
        _clean_need(values, listing)
    return values


def _clean_need(values: dict, listing: Listing | None) -> None:
    """A need: at least one kind of solution, a budget of zero or more (None = open to offers),
    a deadline (Beijing date) not in the past unless it is the one already stored."""
    kinds = values.get("solution_kinds") or []
    if not kinds or any(k not in {x.value for x in SolutionKind} for k in kinds):
        raise DomainError(_("Choose at least one kind of solution."), "solution_kinds")
    values["solution_kinds"] = [k.value for k in SolutionKind if k.value in kinds]
    budget = values.get("budget_fen")
    if budget is not None and (not isinstance(budget, int) or budget < 0):
        raise DomainError(_("Enter a budget of zero or more, or leave it empty."), "budget_fen")
    deadline = values.get("deadline")
    if deadline is None:
        raise DomainError(_("Give a deadline for answers."), "deadline")
    unchanged = listing is not None and getattr(listing, "deadline", None) == deadline
    if not unchanged and deadline < utcnow().astimezone(SHANGHAI).date():
        raise DomainError(_("The deadline cannot be in the past."), "deadline")


def _apply(listing: Listing, values: dict) -> None:
    children = {key: values.pop(key) for key in CAMPAIGN_CHILDREN if key in values}
    for key, value in values.items():
        setattr(listing, key, value)
    # a campaign past its draft keeps its needs and rewards (offers and pledges point at them):
    # check_campaign_edit leaves them out of ``values``
    if isinstance(listing, Campaign):
        if "expertise_needs" in children:
            listing.expertise_needs = [ExpertiseNeed(skill=s, hours=h)
                                       for s, h in children["expertise_needs"]]
        if "resource_needs" in children:
            listing.resource_needs = [ResourceNeed(item=i, quantity=q, linked_listing_id=lid)
                                      for i, q, lid in children["resource_needs"]]
        if "reward_tiers" in children:
            listing.reward_tiers = [RewardTier(title=t, min_pledge_fen=m, description=d)
                                    for t, m, d in children["reward_tiers"]]


def create_listing(organization, actor, kind: ListingKind, values: dict) -> Listing:
    """Create a draft listing owned by ``organization``."""
    if not organization.is_member(actor):
        raise NotAllowedError(_("Only members of an organisation can create its listings."))
    kind = ListingKind(kind)
    values = _clean(kind, dict(values))
    listing = MODELS[kind](organization=organization, created_by_id=actor.id,
                           status=ListingStatus.DRAFT)
    _apply(listing, values)
    db.session.add(listing)
    db.session.flush()
    record_audit(actor, "listing.created", listing, after={"kind": kind.value,
                                                            "title": listing.title_for("zh")})
    return listing


def update_listing(listing: Listing, actor, values: dict) -> None:
    """Edit a listing; a published listing's index entry is refreshed after commit."""
    if not listing.can_edit(actor):
        raise NotAllowedError(_("Only members of the owning organisation can edit this listing."))
    if isinstance(listing, Campaign):  # goals are fixed once submitted for review
        values = campaign_rules.check_campaign_edit(listing, values)
    values = _clean(listing.kind, dict(values), listing)
    _apply(listing, values)
    listing.updated_at = utcnow()
    db.session.flush()


def publish_listing(listing: Listing, actor) -> None:
    """Make a draft or archived listing visible and searchable."""
    if not listing.can_edit(actor):
        raise NotAllowedError(_("Only members of the owning organisation can publish it."))
    if not listing.can_publish(actor):
        raise NotAllowedError(_("Only a verified organisation of a fitting kind can publish "
                                "this kind of listing."))
    if listing.status == ListingStatus.PUBLISHED:
        return
    from marketplace.moderation.operations import check_not_taken_down

    check_not_taken_down(db.session, listing)  # step 7: a take-down stands until restored
    if isinstance(listing, Campaign):  # published by going live after review, not here
        campaign_rules.check_campaign_publish(listing)
    if isinstance(listing, Need) and listing.is_solved:
        raise InvalidStateError(_("A solved need cannot be published again."))
    listing.publish(utcnow())
    listing.updated_at = utcnow()
    record_audit(actor, "listing.published", listing)


def archive_listing(listing: Listing, actor) -> None:
    """Take a listing out of the catalogue (it stays in the database)."""
    if not listing.can_edit(actor):
        raise NotAllowedError(_("Only members of the owning organisation can archive it."))
    if listing.status == ListingStatus.ARCHIVED:
        return
    if isinstance(listing, Campaign):
        campaign_rules.check_campaign_archive(listing)
    if isinstance(listing, Need):  # closed without a solution: so are its open proposals
        from marketplace.needs.operations import close_open_proposals

        close_open_proposals(db.session, listing, utcnow())
    listing.archive(utcnow())
    listing.updated_at = utcnow()
    record_audit(actor, "listing.archived", listing)


def delete_listing(listing: Listing, actor) -> None:
    """Delete a draft or an archived listing (published ones are archived first)."""
    if not listing.can_edit(actor):
        raise NotAllowedError(_("Only members of the owning organisation can delete it."))
    if listing.status == ListingStatus.PUBLISHED:
        raise InvalidStateError(_("Archive the listing before deleting it."))
    if isinstance(listing, Campaign):
        campaign_rules.check_campaign_delete(listing)
    if isinstance(listing, Need):  # the providers keep the record of what they proposed
        from marketplace.needs.models import NeedProposal

        if db.session.scalar(sa.select(sa.func.count()).select_from(NeedProposal)
                             .where(NeedProposal.need_id == listing.id)):
            raise InvalidStateError(_("A need that has received proposals cannot be deleted; "
                                      "it stays archived."))
    record_audit(actor, "listing.deleted", listing, before={"title": listing.title_for("zh")})
    names = [photo.storage_name for photo in listing.photos]
    db.session.delete(listing)
    db.session.flush()
    directory = photo_dir()
    after_commit(lambda: _remove_files(directory, names))


# ---------------------------------------------------------------------------------------------
# photos
def photo_dir() -> Path:
    return Path(current_app.instance_path) / "uploads" / "listings"


def _sniff(head: bytes) -> tuple[str, str] | None:
    for magic, kind in PHOTO_TYPES.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ("image/webp", "webp")
    return None


def add_photo(listing: Listing, actor, stream, caption: str | None = None) -> ListingPhoto:
    """Store an uploaded image under a generated name; the type is judged by its bytes."""
    if not listing.can_edit(actor):
        raise NotAllowedError(_("Only members of the owning organisation can add photos."))
    if len(listing.photos) >= MAX_PHOTOS:
        raise DomainError(_("A listing can have at most %(n)d photos.", n=MAX_PHOTOS), "photo")
    data = stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(_("The photo is larger than 5 MB."), "photo")
    kind = _sniff(data[:16])
    if kind is None:
        raise DomainError(_("This file is not a JPEG, PNG or WebP image."), "photo")
    content_type, extension = kind
    name = f"{secrets.token_hex(16)}.{extension}"
    directory = photo_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)
    photo = ListingPhoto(listing=listing, storage_name=name, content_type=content_type,
                         size_bytes=len(data), caption=(caption or "").strip() or None,
                         position=len(listing.photos))
    db.session.add(photo)
    db.session.flush()
    after_rollback(lambda: _remove_files(directory, [name]))
    return photo


def remove_photo(listing: Listing, actor, photo: ListingPhoto) -> None:
    if not listing.can_edit(actor) or photo.listing_id != listing.id:
        raise NotAllowedError(_("Only members of the owning organisation can remove photos."))
    name = photo.storage_name
    listing.photos.remove(photo)
    db.session.flush()
    directory = photo_dir()
    after_commit(lambda: _remove_files(directory, [name]))


def _remove_files(directory: Path, names) -> None:
    for name in names:
        (directory / name).unlink(missing_ok=True)
