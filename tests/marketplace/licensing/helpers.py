"""Builders for the licensing tests: a university's published technology, an enterprise that
enquires, their members, an outsider and an officer."""

from __future__ import annotations

from dataclasses import dataclass

from listings.models import LegalStatus, ListingStatus, Technology
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import OrganizationKind, VerificationStatus
from tests.factories import make_officer, make_organization, make_user

ALL_MODES = ["exclusive", "non_exclusive", "assignment", "joint_development"]


def make_technology(organization, *, modes=None, published=True, **overrides) -> Technology:
    values = dict(
        organization_id=organization.id, title_zh="一种高效煤气化催化剂",
        title_en="An efficient coal gasification catalyst", summary_zh="提高气化效率",
        summary_en="Raises gasification efficiency", description="催化剂及其制备方法",
        district_code="140403", legal_status=LegalStatus.GRANTED,
        licensing_modes=list(modes if modes is not None else ALL_MODES), trl=6,
        field_of_application="煤化工", asking_price_fen=50_000_000,
        status=ListingStatus.PUBLISHED if published else ListingStatus.DRAFT,
        published_at=utcnow() if published else None)
    values.update(overrides)
    technology = Technology(**values)
    db.session.add(technology)
    db.session.flush()
    return technology


@dataclass
class Scene:
    owner: object          # university member (licensor side)
    university: object
    technology: Technology
    buyer: object          # enterprise member (licensee side)
    enterprise: object
    rival: object          # a member of a second enterprise
    rival_org: object
    outsider: object       # signed-in user without an organisation
    pending_user: object   # member of an unverified organisation
    officer: object


def build_scene(*, modes=None) -> Scene:
    owner = make_user(name="王教授")
    university = make_organization(owner, kind=OrganizationKind.UNIVERSITY,
                                   name_zh="长治学院", name_en="Changzhi University")
    technology = make_technology(university, modes=modes)
    buyer = make_user(name="李经理")
    enterprise = make_organization(buyer, name_zh="潞安化工有限公司", name_en="Lu'an Chemicals")
    rival = make_user()
    rival_org = make_organization(rival)
    outsider = make_user()
    pending_user = make_user()
    make_organization(pending_user, status=VerificationStatus.PENDING)
    officer = make_officer()
    db.session.flush()
    return Scene(owner, university, technology, buyer, enterprise, rival, rival_org, outsider,
                 pending_user, officer)


def terms(**overrides) -> dict:
    values = {"mode": "non_exclusive", "field_of_use": "煤化工", "territory": "中国大陆",
              "term_years": 5, "upfront_fee_fen": 10_000_000, "royalty_bp": 300,
              "milestones": [{"title": "首批量产", "amount_fen": 2_000_000, "due": "2027-06-30"}]}
    values.update(overrides)
    return values
