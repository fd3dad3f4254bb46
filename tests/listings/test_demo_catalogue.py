"""The demo catalogue: idempotent, big enough, consistent with the schema and the index."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import with_polymorphic

from listings.indexing import check_index
from listings.models import (
    PUBLISHER_KINDS,
    Campaign,
    ExpertiseNeed,
    Instrument,
    LegalStatus,
    Listing,
    ListingKind,
    ListingStatus,
    ResourceNeed,
    RewardTier,
    Space,
    Technology,
)
from listings.patents import normalize_patent_number, patent_type_of
from marketplace import demo_catalogue
from marketplace.demo import DEMO_ORGANIZATIONS, load_demo
from marketplace.extensions import utcnow
from marketplace.organizations.models import Organization, VerificationStatus
from marketplace.publishing.forms import parse_dates
from marketplace.reference import get_area

MINIMUM = {ListingKind.INSTRUMENT: 60, ListingKind.TECHNOLOGY: 40, ListingKind.SPACE: 30,
           ListingKind.CAMPAIGN: 15}
LISTING_TABLES = ("listings", "instruments", "technologies", "spaces", "campaigns",
                  "campaign_expertise_needs", "campaign_resource_needs", "campaign_reward_tiers")


@pytest.fixture
def loaded(db):
    summary = load_demo()
    db.session.commit()
    return summary


def _all_listings(db) -> list[Listing]:
    poly = with_polymorphic(Listing, "*")
    return list(db.session.scalars(sa.select(poly).order_by(poly.id)))


def _row_counts(db) -> dict[str, int]:
    return {table: db.session.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in LISTING_TABLES}


def test_loading_twice_creates_nothing_new(db, loaded, app):
    before = _row_counts(db)
    second = load_demo()
    db.session.commit()
    assert second["listings_created"] == 0
    assert loaded["listings_created"] == sum(
        loaded[k] for k in ("instruments", "technologies", "spaces", "campaigns"))
    for key in ("instruments", "technologies", "spaces", "campaigns", "published", "drafts",
                "archived"):
        assert second[key] == loaded[key], key
    assert _row_counts(db) == before
    keys = [(listing.organization_id, listing.title_zh) for listing in _all_listings(db)]
    assert len(keys) == len(set(keys))
    assert check_index(db.session, app.config["SEARCH_INDEX_DIR"]).ok


def test_minimum_counts_and_statuses(db, loaded):
    listings = _all_listings(db)
    for kind, minimum in MINIMUM.items():
        of_kind = [item for item in listings if item.kind == kind]
        published = [item for item in of_kind if item.status == ListingStatus.PUBLISHED]
        assert len(of_kind) >= minimum, kind
        assert len(published) >= minimum, kind
    statuses = [item.status for item in listings]
    assert 2 <= statuses.count(ListingStatus.DRAFT) <= 8
    assert 2 <= statuses.count(ListingStatus.ARCHIVED) <= 4  # one is a solved need
    assert loaded["published"] == statuses.count(ListingStatus.PUBLISHED)
    assert statuses.count(ListingStatus.PUBLISHED) / len(listings) > 0.9


def test_every_check_constraint_holds(db, loaded):
    """Each CHECK constraint of the listing tables, evaluated over every row."""
    checked = 0
    for table in db.metadata.sorted_tables:
        if table.name not in LISTING_TABLES:
            continue
        for constraint in table.constraints:
            if isinstance(constraint, sa.CheckConstraint):
                condition = constraint.sqltext.compile(
                    dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
                violating = db.session.execute(sa.text(
                    f'SELECT count(*) FROM "{table.name}" WHERE NOT ({condition})')).scalar_one()
                assert violating == 0, f"{table.name}: {constraint.name}: {condition}"
                checked += 1
    assert checked >= 10


def test_listings_are_consistent(db, loaded):
    now = utcnow()
    for listing in _all_listings(db):
        label = listing.title_zh
        org = listing.organization
        assert listing.title_zh and listing.summary_zh, label
        assert org.kind.value in PUBLISHER_KINDS[listing.kind], label
        if listing.status != ListingStatus.DRAFT:
            assert org.status == VerificationStatus.VERIFIED, label
            assert listing.published_at is not None and listing.published_at <= now, label
        area = get_area(listing.district_code)
        assert area is not None, label
        assert listing.district_code[:6] == org.district_code[:6] or isinstance(listing, Space)
        assert all(tag == tag.strip() and tag for tag in listing.tag_list), label
        if isinstance(listing, Instrument):
            assert listing.rate_internal_fen <= listing.rate_external_fen, label
            for day, spans in listing.opening_hours.items():
                assert day in "0123456", label
                for start, end in spans:
                    assert len(start) == len(end) == 5 and start < end, label
            assert parse_dates(" ".join(listing.closed_dates)) == listing.closed_dates, label
        elif isinstance(listing, Technology):
            assert 3 <= listing.trl <= 9, label
            assert listing.licensing_modes, label
            if listing.patent_number:
                number = listing.patent_number
                assert normalize_patent_number(number, today=date(2026, 11, 26)) == number
                assert normalize_patent_number("ZL" + number.replace(".", ""),
                                               today=date(2026, 11, 26)) == number
                assert patent_type_of(number) == listing.patent_type.value, label
                assert int(number[:4]) == listing.filing_date.year, label
                assert listing.ipc_class, label
            else:
                assert listing.legal_status == LegalStatus.NOT_PATENTED, label
            if listing.legal_status == LegalStatus.GRANTED:
                assert listing.grant_date > listing.filing_date, label
            if listing.legal_status == LegalStatus.PENDING:
                assert listing.grant_date is None, label
        elif isinstance(listing, Space):
            assert 0 <= listing.area_free_m2 <= listing.area_m2, label
            assert listing.min_lease_months >= 1, label
            if listing.status == ListingStatus.PUBLISHED:
                assert listing.area_free_m2 > 0, label
        elif isinstance(listing, Campaign):
            if listing.run is not None and listing.run.is_closed:  # step 4: closed in the demo
                assert listing.deadline <= now, label
            else:  # step 4: live ones run 1–60 days from going live (a few days ago)
                assert now + timedelta(days=5) < listing.deadline <= now + timedelta(days=91), label
            assert 1 <= len(listing.expertise_needs) <= 3, label
            assert len(listing.resource_needs) <= 3, label
            assert 2 <= len(listing.reward_tiers) <= 4, label
            if listing.status == ListingStatus.PUBLISHED:
                assert listing.resource_needs, label
    linked = db.session.scalars(sa.select(ResourceNeed).where(
        ResourceNeed.linked_listing_id.is_not(None))).all()
    assert len(linked) >= 15
    for need in linked:
        assert need.linked_listing.kind in (ListingKind.INSTRUMENT, ListingKind.SPACE)
        assert need.linked_listing.status == ListingStatus.PUBLISHED


def test_catalogue_only_uses_demo_organisations(db, loaded):
    codes = {spec["code17"] for spec in DEMO_ORGANIZATIONS}
    specs = (demo_catalogue.INSTRUMENTS + demo_catalogue.TECHNOLOGIES + demo_catalogue.SPACES
             + demo_catalogue.CAMPAIGNS)
    assert {spec["org"] for spec in specs} <= codes
    assert set(demo_catalogue.CONTACTS) <= codes
    titles = [spec["title_zh"] for spec in specs]
    assert len(titles) == len(set(titles))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == len(codes)


def test_every_published_listing_is_indexed(search_backend_name, db, loaded, app):
    report = check_index(db.session, app.config["SEARCH_INDEX_DIR"])
    assert report.ok, report
    assert report.published == loaded["published"] == report.indexed


def test_refresh_restores_edited_listing(search_backend_name, db, loaded, app):
    listing = db.session.scalar(sa.select(Space).where(Space.area_m2 == 2400))
    listing.area_free_m2 = 100
    listing.archive(utcnow())
    campaign = db.session.scalars(sa.select(Campaign)).first()
    campaign.reward_tiers.append(RewardTier(title="临时档位", min_pledge_fen=100))
    campaign.expertise_needs.append(ExpertiseNeed(skill="临时技能", hours=1))
    db.session.commit()
    assert load_demo()["listings_created"] == 0
    db.session.commit()
    db.session.expire_all()
    assert listing.area_free_m2 == 2400 and listing.status == ListingStatus.PUBLISHED
    assert "临时档位" not in [t.title for t in campaign.reward_tiers]
    assert "临时技能" not in [n.skill for n in campaign.expertise_needs]
    assert check_index(db.session, app.config["SEARCH_INDEX_DIR"]).ok
