"""Demo needs (技术需求) and proposals (step 5), through the real operations.

* 太行精密机械 (sme@) looks for a heat-treatment process for its light aluminium parts: 上党新材料
  研究院 (lab@, member) proposed its 7-series double-ageing patent (shortlisted), 长治学院分析测试
  中心 (lab@, owner) its SEM for the fracture analysis (submitted);
* 太行精密机械's fracture-analysis need has the analysis centre's SEM proposal and the
  institute's TEM proposal, which it withdrew (with ``SOLVE_FRACTURE`` the need is solved with the
  SEM proposal: archived and out of search — off while tests/listings/test_demo_catalogue.py
  allows at most 3 archived listings in the demo);
* 潞城太行创客空间 (maker@) wants a vision algorithm for sorting farm produce: the analysis
  centre's XRD proposal was declined with feedback ("not our field");
* 太行精密机械 also has a draft need (a standard factory building), not yet published.

Idempotent: a need is matched by its organisation and Chinese title and made (with its
proposals) only once; an open need's deadline is moved on when it comes near, so that the demo
stays open to proposals whenever it is loaded.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from listings.models import Listing, ListingStatus, Need
from marketplace.extensions import db, utcnow
from marketplace.needs import operations
from marketplace.publishing import operations as publishing

TAIHANG = "91140400MA0K7U2X3"  # 长治市太行精密机械有限公司 (sme@)
MAKERS = "92140406MA0N8F9G2"  # 潞城太行创客空间 (maker@)
CZU_LAB = "12140400MB1734562"  # 长治学院分析测试中心 (lab@ owner)
SD_MATERIALS = "12140400MB1826378"  # 上党新材料研究院 (lab@ member)

HEAT_TREATMENT = "轻量化铝合金护帮板热处理工艺"
FRACTURE = "液压缸体断口失效分析"
VISION = "农产品智能分拣设备视觉识别算法"
SOLVE_FRACTURE = True
FACTORY = "800平方米标准厂房（带行车）"

PATENT = "7系高强铝合金结构件双级时效热处理工艺"
SEM = "场发射扫描电子显微镜 Hitachi SU8010"
TEM = "场发射透射电子显微镜 JEOL JEM-2100F"
XRD = "X射线衍射仪 Bruker D8 Advance"

NEEDS = {
    HEAT_TREATMENT: dict(
        org=TAIHANG, user="sme@demo.czinno.cn",
        title_en="Heat treatment for light aluminium-alloy canopy plates",
        summary_zh="7系铝合金护帮板淬火后变形大、强度不稳定，寻求成熟的热处理工艺或专利许可。",
        summary_en="Our 7-series aluminium canopy plates distort after quenching and their "
                   "strength varies; we want a proven heat-treatment process or a licence.",
        description="年产约2万件，板厚12–20 mm。希望对方能提供工艺参数、现场指导，必要时做金相与"
                    "断口分析验证。可接受专利许可或技术服务合同。",
        tags="铝合金, 热处理, 时效, 护帮板, 煤机", district_code="140403403",
        solution_kinds=["technology", "expertise"], budget_fen=30_000_000, publish=True),
    FRACTURE: dict(
        org=TAIHANG, user="sme@demo.czinno.cn",
        title_en="Failure analysis of a cracked hydraulic cylinder body",
        summary_zh="液压缸体在试验台上开裂，需要扫描电镜断口分析和能谱成分分析。",
        summary_en="A hydraulic cylinder body cracked on the test bench: SEM fractography and "
                   "EDS analysis wanted.",
        description="两件开裂样品，需在两周内出具分析报告。",
        tags="断口分析, 扫描电镜, 失效分析", district_code="140403403",
        solution_kinds=["instrument_time"], budget_fen=500_000, publish=True),
    VISION: dict(
        org=MAKERS, user="maker@demo.czinno.cn",
        title_en="Vision algorithm for a farm-produce sorting machine",
        summary_zh="小米、红枣分拣设备需要基于摄像头的瑕疵识别算法，可在嵌入式板卡上运行。",
        summary_en="Our millet and jujube sorter needs a camera-based defect detector that runs "
                   "on an embedded board.",
        description="已有机械样机，每秒处理20个果实；希望合作开发或购买成熟算法。",
        tags="机器视觉, 分拣, 农产品, 深度学习", district_code="140406",
        solution_kinds=["technology", "expertise"], budget_fen=None, publish=True),
    FACTORY: dict(
        org=TAIHANG, user="sme@demo.czinno.cn", title_en="An 800 m² standard factory with a crane",
        summary_zh="扩产需要约800平方米带行车的标准厂房。",
        summary_en="For a new line we need about 800 m² of standard factory with a crane.",
        description="扩产需要约800平方米标准厂房，层高8米以上，带5吨行车。",
        tags="厂房, 行车", district_code="140403403", solution_kinds=["space"],
        budget_fen=2_000_000, publish=False),
}


def load_demo_needs(users: dict, organizations: dict) -> dict[str, int]:
    """Create the demo needs (技术需求) and proposals once (idempotent). Flushes only."""
    if any(code not in organizations for code in (TAIHANG, MAKERS, CZU_LAB, SD_MATERIALS)):
        return {"needs": 0}
    now = utcnow()
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    listings = {title: _listing(organizations[code], title)
                for title, code in ((PATENT, SD_MATERIALS), (SEM, CZU_LAB), (TEM, SD_MATERIALS),
                                    (XRD, CZU_LAB))}
    if None in listings.values():
        return {"needs": 0, "need_proposals": 0}
    made = 0
    needs: dict[str, Need] = {}
    for title, spec in NEEDS.items():
        spec = dict(spec)
        org, user, publish = organizations[spec.pop("org")], users[spec.pop("user")], \
            spec.pop("publish")
        need = db.session.scalar(sa.select(Need).where(Need.organization_id == org.id,
                                                       Need.title_zh == title))
        if need is None:
            need = publishing.create_listing(org, user, "need", {
                "title_zh": title, **spec, "deadline": today + timedelta(days=45)})
            if publish:
                publishing.publish_listing(need, user)
            made += 1
            needs[title] = need
        elif need.is_open and need.deadline is not None and need.deadline < today + timedelta(
                days=14):
            need.deadline = today + timedelta(days=45)
    db.session.flush()
    lab, sme, maker = (users[f"{name}@demo.czinno.cn"] for name in ("lab", "sme", "maker"))
    proposals = 0

    def answer(need, org_code, listing_title, message, price_fen=None):
        nonlocal proposals
        proposals += 1
        return operations.submit_proposal(
            db.session, need, lab, organization_id=organizations[org_code].id,
            listing_ids=[listings[listing_title].id], message=message, price_fen=price_fen,
            now=now)

    if HEAT_TREATMENT in needs:
        need = needs[HEAT_TREATMENT]
        patent = answer(need, SD_MATERIALS, PATENT,
                        "我院的双级时效工艺已在7075结构件上验证，变形量降低约40%，强度波动±3%以内。"
                        "可提供非独占许可与两次现场指导。", 28_000_000)
        operations.shortlist_proposal(db.session, patent, sme, now)
        answer(need, CZU_LAB, SEM, "可用场发射扫描电镜做热处理前后的断口与析出相分析，支持创新券。",
               360_000)
    if FRACTURE in needs:
        need = needs[FRACTURE]
        winner = answer(need, CZU_LAB, SEM, "可在5个工作日内完成断口形貌与能谱分析并出具报告。",
                        450_000)
        other = answer(need, SD_MATERIALS, TEM, "可做透射电镜下的微观组织分析。", 800_000)
        if SOLVE_FRACTURE:
            operations.solve_need(db.session, need, sme, proposal_id=winner.id, now=now)
        else:
            operations.withdraw_proposal(db.session, other, lab, now)
    if VISION in needs:
        declined = answer(needs[VISION], CZU_LAB, XRD,
                          "我们可以用X射线衍射分析果实表面的矿物残留。")
        operations.decline_proposal(db.session, declined, maker, reason="not_our_field",
                                    note="我们需要的是图像识别算法，不是材料检测。", now=now)
    db.session.flush()
    # the listing counts as they are now, needs included (demo_campaigns reports them before)
    statuses = dict(db.session.execute(sa.select(Listing.status, sa.func.count())
                                       .group_by(Listing.status)).all())
    return {"needs": made, "need_proposals": proposals,
            "published": statuses.get(ListingStatus.PUBLISHED, 0),
            "drafts": statuses.get(ListingStatus.DRAFT, 0),
            "archived": statuses.get(ListingStatus.ARCHIVED, 0)}


def _listing(organization, title: str) -> Listing | None:
    return db.session.scalar(sa.select(Listing).where(Listing.organization_id == organization.id,
                                                      Listing.title_zh == title,
                                                      Listing.status == ListingStatus.PUBLISHED))
