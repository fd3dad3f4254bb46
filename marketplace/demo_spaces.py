"""Demo viewings, lease offers and leases (step 5), between the park (park@, 长治上党产业园运营管理
有限公司) and the machinery SME (sme@, 长治市太行精密机械有限公司, which needs about 800 m²):

* a viewing of 多层标准厂房B2栋二层, confirmed for a morning three days ahead (.ics on its page);
* a viewing of 单层钢结构标准厂房A3栋, awaiting the park's answer (two proposed times);
* a 600 m² offer for B2 (the park lets it in two 600 m² units), accepted → lease CZ-SL-…;
* an open 600 m² offer by 襄垣晋东南光电 (sme@ is a member) for the 丙二类仓库, in the park's queue.

Everything goes through the real operations. Made once (when the demo has no lease offer yet);
each run then lowers the free area the catalogue's refresh has just reset by the area of the
active leases, so that ``area_free_m2`` stays what leasing left.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from listings.models import Space
from marketplace.bookings.rules import SHANGHAI, local
from marketplace.extensions import db, utcnow
from marketplace.spaces import operations
from marketplace.spaces.models import Lease, LeaseOffer, LeaseStatus

TAIHANG = "91140400MA0K7U2X3"  # 长治市太行精密机械有限公司 (sme@)
JINDONGNAN = "91140423MA0L2B8C5"  # 襄垣县晋东南光电材料有限公司 (sme@ member)
B2 = "上党经开区多层标准厂房B2栋二层"
A3 = "上党经开区单层钢结构标准厂房A3栋（带10吨行车）"
WAREHOUSE = "上党经开区丙二类仓库（带装卸平台）"


def _at(now: datetime, days: int, hour: int) -> datetime:
    return datetime.combine(local(now).date() + timedelta(days=days), time(hour), SHANGHAI)


def load_demo_spaces(users: dict, organizations: dict) -> dict[str, int]:
    """Create the demo viewings, lease offers and leases once (idempotent). Flushes only."""
    spaces = {s.title_zh: s for s in db.session.scalars(
        sa.select(Space).where(Space.title_zh.in_((B2, A3, WAREHOUSE))))}
    sme, park = users.get("sme@demo.czinno.cn"), users.get("park@demo.czinno.cn")
    taihang, jindongnan = organizations.get(TAIHANG), organizations.get(JINDONGNAN)
    if len(spaces) < 3 or None in (sme, park, taihang, jindongnan):
        return {"leases": 0}
    _keep_free_area_after_leases(spaces.values())
    if db.session.scalar(sa.select(sa.func.count()).select_from(LeaseOffer)):
        return {"leases": _count(Lease)}
    now = utcnow()
    db.session.flush()
    confirmed = operations.request_viewing(
        db.session, spaces[B2], sme, organization=taihang,
        times=[_at(now, 3, 9), _at(now, 4, 14)], note="想看一下货梯和配电，约两人到场。", now=now)
    operations.accept_viewing(db.session, confirmed, park, chosen=confirmed.options[0], now=now)
    operations.request_viewing(
        db.session, spaces[A3], sme, organization=taihang,
        times=[_at(now, 5, 10), _at(now, 6, 15)], note="关注行车吨位和地面承重。", now=now)
    start = max(local(now).date() + timedelta(days=30),
                spaces[B2].available_from or local(now).date())
    offer = operations.make_lease_offer(
        db.session, spaces[B2], sme, organization=taihang, area_m2=600, term_months=36,
        start_date=start, deposit_fen=2 * 600 * spaces[B2].rent_fen_per_m2_month,
        message="租用B2栋二层东侧600平方米单元，用于液压件装配线。", key="demo-lease-b2", now=now)
    operations.accept_lease_offer(db.session, offer, park, now=now)
    warehouse = spaces[WAREHOUSE]
    operations.make_lease_offer(
        db.session, warehouse, sme, organization=jindongnan, area_m2=600,
        term_months=max(warehouse.min_lease_months, 12),
        start_date=max(local(now).date() + timedelta(days=14),
                       warehouse.available_from or local(now).date()),
        deposit_fen=600 * warehouse.rent_fen_per_m2_month, monthly_rent_fen=None,
        message="存放外延片原材料与成品，需要恒温区域。", key="demo-lease-warehouse", now=now)
    db.session.flush()
    return {"leases": _count(Lease)}


def _keep_free_area_after_leases(spaces) -> None:
    for space in spaces:
        leased = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Lease.area_m2), 0))
                                   .where(Lease.space_id == space.id,
                                          Lease.status == LeaseStatus.ACTIVE)) or 0
        if leased:
            space.area_free_m2 = max(space.area_free_m2 - int(leased), 0)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
