"""A small recommendation world with fixed data.

* 长治太行精密 (``enterprise``, manufacturing, 潞州区): its needs ask for a 扫描电镜 for fracture
  analysis and 能谱 (EDS); it publishes its own small SEM (never to be recommended to it);
* 长治学院分析测试中心 (``university``, 潞州区): the field-emission SEM with EDS (``sem``) and an
  XRD (``xrd``);
* 上党产业园 (``park``, 上党区): a warehouse (``warehouse``) for rent;
* 潞城精工 (``related``): same actual controller as the enterprise, a bench-top SEM with EDS
  (``related_sem``): a related party, never recommended to the enterprise for voucher use;
* ``peers``: two other manufacturing enterprises (discoverable) that viewed the SEM and the XRD;
  ``hidden``: a verified enterprise that did not opt in; ``pending``: an unverified one (opted
  in); ``maker``: a maker team (opted in; not an enterprise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from listings.models import Instrument, InstrumentCategory, Need, Space, SpaceType
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import OrganizationKind, VerificationStatus
from marketplace.recommendations.data import beijing_day
from marketplace.recommendations.models import ListingView
from tests.factories import make_instrument, make_organization, make_user

ENTERPRISE_NEEDS = "需要扫描电镜做液压缸体断口分析，并用能谱做夹杂物成分分析。"


@dataclass
class World:
    enterprise: object
    owner: object
    member: object
    university: object
    park: object
    related: object
    sem: Instrument
    xrd: Instrument
    warehouse: Space
    own_sem: Instrument
    related_sem: Instrument
    peers: list = field(default_factory=list)
    hidden: object = None
    pending: object = None
    maker: object = None
    need: Need | None = None


def make_sem(org, title_zh="场发射扫描电子显微镜（扫描电镜）", **overrides) -> Instrument:
    values = dict(title_zh=title_zh, title_en="Field-emission SEM with EDS",
                  summary_zh="扫描电镜配能谱仪（EDS），用于断口分析、形貌观察与成分分析",
                  summary_en="Scanning electron microscope with EDS for fracture analysis",
                  description="金属断口分析、夹杂物能谱成分分析、涂层形貌观察。", tags="扫描电镜, 能谱, 断口",
                  capabilities="二次电子像、背散射像、能谱面扫描",
                  instrument_category=InstrumentCategory.ELECTRON_MICROSCOPY)
    values.update(overrides)
    return make_instrument(org, **values)


def make_warehouse(org, **overrides) -> Space:
    values = dict(organization=org, title_zh="上党产业园标准仓库", title_en="Standard warehouse",
                  summary_zh="仓储物流用标准仓库出租，带装卸平台", description="仓库 仓储 物流 装卸平台",
                  district_code="140404", space_type=SpaceType.WAREHOUSE, area_m2=3000,
                  area_free_m2=3000, rent_fen_per_m2_month=1500, park_name="上党产业园")
    values.update(overrides)
    space = Space(**values)
    space.publish(utcnow())
    db.session.add(space)
    db.session.flush()
    return space


def make_world(*, views: bool = True) -> World:
    owner, member = make_user(locale="zh_CN"), make_user(locale="en")
    enterprise = make_organization(owner, members=(member,), name_zh="长治太行精密机械有限公司",
                                   description="煤机液压零部件制造", needs=ENTERPRISE_NEEDS,
                                   actual_controller="王建国", discoverable=True)
    university = make_organization(make_user(), kind=OrganizationKind.UNIVERSITY,
                                   name_zh="长治学院分析测试中心", industry="P",
                                   description="大型仪器开放共享", needs="")
    park = make_organization(make_user(), kind=OrganizationKind.PARK, name_zh="上党产业园",
                             industry="L", district_code="140404", description="仓库与厂房",
                             needs="")
    related = make_organization(make_user(), name_zh="潞城精工检测有限公司", district_code="140406",
                                actual_controller="王 建国", description="检测服务", needs="")
    sem = make_sem(university)
    xrd = make_instrument(university, title_zh="X射线衍射仪", title_en="X-ray diffractometer",
                          summary_zh="物相分析与晶体结构测定", description="粉末衍射 物相定性定量",
                          tags="XRD, 物相", instrument_category=InstrumentCategory.X_RAY)
    warehouse = make_warehouse(park)
    own_sem = make_sem(enterprise, title_zh="本公司自有台式扫描电镜")
    related_sem = make_sem(related, title_zh="台式扫描电镜（能谱）", district_code="140406")
    peers = [make_organization(make_user(), name_zh=f"长治同行制造{n}有限公司",
                               description="铸件与液压件制造", needs="断口分析 扫描电镜 成分分析",
                               discoverable=True) for n in (1, 2)]
    hidden = make_organization(make_user(), name_zh="不公开的企业", needs="扫描电镜 断口分析")
    pending = make_organization(make_user(), name_zh="待审核企业", needs="扫描电镜 断口分析",
                                status=VerificationStatus.PENDING, discoverable=True)
    maker = make_organization(make_user(), kind=OrganizationKind.MAKER, name_zh="创客团队",
                              industry="M", needs="扫描电镜 断口分析", discoverable=True)
    world = World(enterprise, owner, member, university, park, related, sem, xrd, warehouse,
                  own_sem, related_sem, peers, hidden, pending, maker)
    if views:
        today = utcnow()
        for peer in peers:
            for days, listing in ((20, sem), (12, xrd), (5, sem)):
                db.session.add(ListingView(organization_id=peer.id, listing_id=listing.id,
                                           viewed_on=beijing_day(today - timedelta(days=days)),
                                           views=2))
        db.session.add(ListingView(organization_id=enterprise.id, listing_id=sem.id,
                                   viewed_on=beijing_day(today - timedelta(days=3)), views=1))
    db.session.commit()
    return world


def post_need(world: World, **overrides) -> Need:
    values = dict(organization=world.enterprise, title_zh="液压缸体断口失效分析",
                  title_en="Failure analysis of a cracked cylinder",
                  description="需要扫描电镜观察断口形貌，能谱分析夹杂物成分。", district_code="140403",
                  solution_kinds=["instrument_time"], budget_fen=2_000_000)
    values.update(overrides)
    need = Need(**values)
    need.publish(utcnow())
    db.session.add(need)
    db.session.commit()
    world.need = need
    return need


def ids(recommendations) -> list[int]:
    return [r.listing.id for r in recommendations]
