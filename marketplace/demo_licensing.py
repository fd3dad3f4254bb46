"""Demo NDAs, enquiries, offers and licence agreements (step 5), on technologies of 上党新材料研究院
(lab@ is a member):

* 7系高强铝合金结构件双级时效热处理工艺: summary, confidential details and an NDA; 太行精密机械
  (sme@) accepted the NDA and offered a non-exclusive licence, the institute countered — the
  counter-offer awaits sme@'s answer (accept it to see the agreement page);
* 粉煤灰基地质聚合物注浆材料及其制备方法: licensed to 太行精密机械 (in force, royalty only);
* 煤沥青基钠离子电池硬碳负极材料: 晋东南光电's enquiry declined ("too early") and an offer of
  太行精密机械 declined ("price"), so the licensing page shows decline feedback.

Everything goes through the real operations, once: a technology that already has a disclosure or
offers is left as it is.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from listings.models import LicensingMode, Technology
from marketplace.extensions import db, utcnow
from marketplace.licensing import operations
from marketplace.licensing.models import LicenceOffer

SD_MATERIALS = "12140400MB1826378"  # 上党新材料研究院
TAIHANG_MACH = "91140400MA0K7U2X3"  # 长治市太行精密机械有限公司
OPTO = "91140423MA0L2B8C5"  # 襄垣县晋东南光电材料有限公司
ALU = "7系高强铝合金结构件双级时效热处理工艺"
GEOPOLYMER = "粉煤灰基地质聚合物注浆材料及其制备方法"
HARD_CARBON = "煤沥青基钠离子电池硬碳负极材料"

NDA = ("保密协议\n\n一、接收方对披露方提供的技术资料（工艺参数、试验数据、图纸等）负有保密义务，"
       "未经书面同意不得向第三方披露，仅用于评估是否获得许可。\n二、保密期限为五年，自接受之日起算。\n"
       "三、接收方违反本协议的，应赔偿披露方因此遭受的全部损失。")


def _terms(mode, fee_yuan: int, royalty_bp: int, years: int = 5, milestones=()) -> dict:
    return {"mode": mode, "field_of_use": "煤矿机械轻量化结构件", "territory": "中国大陆",
            "term_years": years, "upfront_fee_fen": fee_yuan * 100, "royalty_bp": royalty_bp,
            "milestones": list(milestones)}


def _has_offers(technology) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LicenceOffer).where(
        LicenceOffer.technology_id == technology.id)) > 0


def load_demo_licensing(users: dict, organizations: dict) -> dict[str, int]:
    """Create the demo NDAs, enquiries, offers and licence agreements once (idempotent).
    Flushes only."""
    institute = organizations.get(SD_MATERIALS)
    taihang, opto = organizations.get(TAIHANG_MACH), organizations.get(OPTO)
    lab, sme = users.get("lab@demo.czinno.cn"), users.get("sme@demo.czinno.cn")
    if None in (institute, taihang, opto, lab, sme):
        return {"licence_offers": 0}
    technologies = {t.title_zh: t for t in db.session.scalars(
        sa.select(Technology).where(Technology.organization_id == institute.id))}
    now = utcnow()
    made = 0
    alu = technologies.get(ALU)
    if alu is not None and alu.is_published and operations.get_disclosure(db.session, alu) is None:
        operations.update_disclosure(
            db.session, alu, lab, now=now, nda_text=NDA,
            problem="7075等高强铝合金经T6处理后强度高但应力腐蚀敏感，矿用结构件在潮湿含硫环境下易开裂。",
            advantages="双级时效在保持抗拉强度≥560 MPa的同时，使抗应力腐蚀开裂性能提高40%；"
                       "设备为常规时效炉，无需改造。",
            applications="液压支架护帮板、矿用车辆结构件、汽车防撞梁、轨道交通型材。",
            confidential_text="工艺窗口：固溶470 ℃±3 ℃/2 h，水淬转移时间≤15 s；一级时效120 ℃/6 h，"
                              "二级时效160 ℃/10 h，升温速率≤2 ℃/min。\n验证数据：30批次拉伸与C环"
                              "应力腐蚀试验结果见附件（研究院可提供EBSD织构分析）。")
        operations.accept_nda(db.session, alu, sme, version=1, organization=taihang, now=now)
        offer = operations.make_offer(
            db.session, alu, sme, organization=taihang, now=now,
            message="我司拟在护帮板产品上应用，首年产量约5000件。",
            terms=_terms(LicensingMode.NON_EXCLUSIVE, 500_000, 300))
        operations.counter_offer(
            db.session, offer, lab, now=now, message="考虑到配套技术服务，建议如下。",
            terms=_terms(LicensingMode.NON_EXCLUSIVE, 600_000, 400, milestones=[
                {"title": "工艺验证通过", "amount_fen": 10_000_000,
                 "due": date(now.year + 1, 6, 30).isoformat()}]))
        made += 2
    geo = technologies.get(GEOPOLYMER)
    if geo is not None and geo.is_published and not _has_offers(geo):
        mode = LicensingMode.NON_EXCLUSIVE if LicensingMode.NON_EXCLUSIVE in geo.modes else (
            geo.modes[0] if geo.modes else LicensingMode.NON_EXCLUSIVE)
        if mode in geo.modes:
            offer = operations.make_offer(db.session, geo, sme, organization=taihang, now=now,
                                          terms=_terms(mode, 0, 200, years=3))
            operations.accept_offer(db.session, offer, lab, now=now)
            made += 1
    carbon = technologies.get(HARD_CARBON)
    if carbon is not None and carbon.is_published and not _has_offers(carbon) and carbon.modes:
        enquiry = operations.send_enquiry(db.session, carbon, sme, organization=opto, now=now,
                                          message="我司关注钠电负极，想了解中试数据。")
        operations.decline_enquiry(db.session, enquiry, lab, reason="too_early",
                                   note="目前仅完成公斤级试验，中试完成后再联系。", now=now)
        offer = operations.make_offer(db.session, carbon, sme, organization=taihang, now=now,
                                      terms=_terms(carbon.modes[0], 50_000, 100))
        operations.decline_offer(db.session, offer, lab, reason="price",
                                 note="报价低于评估价值。", now=now)
        made += 1
    db.session.flush()
    return {"licence_offers": made}
