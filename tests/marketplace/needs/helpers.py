"""A small needs world, built through the real operations: an enterprise that posts needs, two
verified providers (a university with a published technology and an instrument, a maker team
with a space) and an unverified one, a signed-in user without organisation, an officer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from listings.models import Need, Technology
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import OrganizationKind, VerificationStatus
from marketplace.publishing import operations as publishing
from tests.factories import make_instrument, make_officer, make_organization, make_user

SHANGHAI_TODAY = lambda: (utcnow() + timedelta(hours=8)).date()  # noqa: E731


@dataclass
class NeedsWorld:
    enterprise: object
    ent_owner: object
    ent_member: object
    university: object
    uni_owner: object
    patent: Technology
    instrument: object
    maker: object
    maker_owner: object
    pending: object
    pending_owner: object
    plain: object
    officer: object


def need_values(**changes) -> dict:
    values = {"title_zh": "寻求陶瓷涂层耐磨技术", "title_en": "Wear-resistant ceramic coating wanted",
              "description": "我们的轴承座磨损严重，需要一种等离子喷涂的陶瓷涂层工艺。",
              "district_code": "140403", "tags": "涂层, 耐磨",
              "solution_kinds": ["technology", "expertise"], "budget_fen": 50_000_000,
              "deadline": SHANGHAI_TODAY() + timedelta(days=30)}
    values.update(changes)
    return values


def make_patent(org, owner, title="等离子喷涂陶瓷涂层专利", publish=True) -> Technology:
    technology = publishing.create_listing(org, owner, "technology", {
        "title_zh": title, "title_en": "Plasma-sprayed ceramic coating patent",
        "district_code": "140403", "legal_status": "granted", "licensing_modes": ["non_exclusive"],
        "trl": 6, "description": "耐磨陶瓷涂层"})
    if publish:
        publishing.publish_listing(technology, owner)
    return technology


def make_world() -> NeedsWorld:
    ent_owner, ent_member = make_user(), make_user()
    enterprise = make_organization(ent_owner, members=(ent_member,), name_zh="长治轴承制造有限公司")
    uni_owner = make_user()
    university = make_organization(uni_owner, kind=OrganizationKind.UNIVERSITY,
                                   name_zh="长治学院材料研究所")
    patent = make_patent(university, uni_owner)
    instrument = make_instrument(university)
    maker_owner = make_user()
    maker = make_organization(maker_owner, kind=OrganizationKind.MAKER, name_zh="创客空间团队")
    pending_owner = make_user()
    pending = make_organization(pending_owner, kind=OrganizationKind.UNIVERSITY,
                                status=VerificationStatus.PENDING, name_zh="待审核研究院")
    make_patent(pending, pending_owner, title="待审核的专利", publish=False)
    world = NeedsWorld(enterprise, ent_owner, ent_member, university, uni_owner, patent,
                       instrument, maker, maker_owner, pending, pending_owner, make_user(),
                       make_officer())
    db.session.commit()
    return world


def post_need(world: NeedsWorld, *, publish: bool = True, **changes) -> Need:
    need = publishing.create_listing(world.enterprise, world.ent_owner, "need",
                                     need_values(**changes))
    if publish:
        publishing.publish_listing(need, world.ent_owner)
    db.session.commit()
    return need


def propose(world: NeedsWorld, need: Need, *, user=None, org=None, listings=None,
            message="我们的专利可以解决", price_fen=None):
    from marketplace.needs import operations

    proposal = operations.submit_proposal(
        db.session, need, user or world.uni_owner,
        organization_id=(org or world.university).id,
        listing_ids=[item.id for item in (listings or [world.patent])], message=message,
        price_fen=price_fen, now=utcnow())
    db.session.commit()
    return proposal
