"""Done deals to review, made through the deal slices' operations where they exist: a completed
booking (lab ↔ SME), a licence in force (university ↔ enterprise), an active lease
(park ↔ enterprise)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from marketplace.bookings import operations as bookings
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import OrganizationKind
from tests.factories import make_officer, make_organization, make_user
from tests.marketplace.bookings.helpers import local
from tests.marketplace.bookings.helpers import make_world as make_booking_world


@dataclass
class BookingDeal:
    booking: object
    lab_user: object
    lab: object
    sme_user: object
    sme: object
    instrument: object
    outsider: object
    officer: object


def completed_booking(*, complete: bool = True) -> BookingDeal:
    w = make_booking_world(quota_fen=None)
    start, end = local(1, "09:00"), local(1, "10:00")
    booking = bookings.create_booking(w.instrument, w.sme, w.sme_user, start, end, programme=None,
                                      purpose="断口分析", request_key=uuid.uuid4().hex,
                                      now=utcnow())
    bookings.approve_booking(booking, w.lab_user, utcnow())
    if complete:
        bookings.complete_booking(booking, w.lab_user, 60, "用量", None, end)
    outsider = make_user()
    make_organization(outsider)
    db.session.commit()
    return BookingDeal(booking, w.lab_user, w.lab, w.sme_user, w.sme, w.instrument, outsider,
                       w.officer)


def licence_in_force():
    """(agreement, licensor user, licensee user) through licensing.conclude_agreement."""
    from listings.models import LegalStatus, ListingStatus, Technology
    from marketplace.licensing.operations import conclude_agreement

    owner, buyer = make_user(), make_user()
    university = make_organization(owner, kind=OrganizationKind.UNIVERSITY, name_zh="长治学院")
    enterprise = make_organization(buyer, name_zh="潞安化工")
    technology = Technology(
        organization_id=university.id, title_zh="高效煤气化催化剂", district_code="140403",
        legal_status=LegalStatus.GRANTED, licensing_modes=["non_exclusive"], trl=6,
        field_of_application="煤化工", asking_price_fen=50_000_000,
        status=ListingStatus.PUBLISHED, published_at=utcnow())
    db.session.add(technology)
    db.session.flush()
    agreement = conclude_agreement(db.session, technology=technology, licensee_org=enterprise,
                                   terms={"mode": "non_exclusive", "field_of_use": "煤化工",
                                          "territory": "中国大陆", "term_years": 5,
                                          "upfront_fee_fen": 0, "royalty_bp": 300,
                                          "milestones": []})
    db.session.commit()
    return agreement, owner, buyer


def active_lease():
    """(lease, landlord user, tenant user): a Lease row as the spaces slice records it."""
    from listings.models import ListingStatus, Space, SpaceType
    from marketplace.spaces.models import Lease, LeaseStatus

    landlord, tenant = make_user(), make_user()
    park = make_organization(landlord, kind=OrganizationKind.PARK, name_zh="长治经开区")
    enterprise = make_organization(tenant, name_zh="太行智造")
    space = Space(organization=park, title_zh="标准厂房1号", district_code="140403",
                  space_type=SpaceType.FACTORY, area_m2=2000, area_free_m2=1500,
                  rent_fen_per_m2_month=2000, min_lease_months=6,
                  status=ListingStatus.PUBLISHED, published_at=utcnow())
    db.session.add(space)
    db.session.flush()
    lease = Lease(number=f"CZ-SL-T-{uuid.uuid4().hex[:8]}", space_id=space.id,
                  landlord_org_id=park.id, tenant_org_id=enterprise.id, area_m2=500,
                  monthly_rent_fen=1_000_000, term_months=12,
                  start_date=(utcnow() + timedelta(days=10)).date(), deposit_fen=2_000_000,
                  status=LeaseStatus.ACTIVE)
    db.session.add(lease)
    db.session.commit()
    return lease, landlord, tenant


__all__ = ["active_lease", "completed_booking", "licence_in_force", "make_officer"]
