"""Demo express licences and paid licence fees (step 5).

Through the real operations: the demo voucher programme also admits technology transfer
services; 上党新材料研究院 (lab@, an admitted provider) offers two express licences; 太行精密机械
(sme@) took the one for its aluminium parts ten days ago — vouchers paid 70 %, the rest by bank
transfer, confirmed by lab@ — so its agreement is in force; the other is there for sme@ to take.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from listings.models import Technology
from marketplace.extensions import db, utcnow
from marketplace.licensing import fees
from marketplace.licensing.operations import technology_is_closed
from marketplace.payments import operations as payments
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.models import TECHNOLOGY_TRANSFER, VoucherProgramme

SD_MATERIALS = "12140400MB1826378"  # 上党新材料研究院 (lab@ member)
TAIHANG = "91140400MA0K7U2X3"  # 长治市太行精密机械有限公司 (sme@ owner)
PROGRAMME_NAME = "2026—2027年度长治市科技创新券"

ALUMINIUM = "7系高强铝合金结构件双级时效热处理工艺"
COATING = "光伏玻璃用二氧化硅减反射镀膜液及其制备方法"
EXPRESS = {
    ALUMINIUM: dict(price_fen=6_000_000, term_years=5, territory="中国大陆",
                    field_of_use="煤矿机械及汽车用7系铝合金结构件的热处理加工与销售"),
    COATING: dict(price_fen=3_000_000, term_years=3, territory="山西省",
                  field_of_use="光伏玻璃减反射镀膜液的生产与自用"),
}


def load_demo_licence_fees(users: dict, organizations: dict) -> dict[str, int]:
    """Create the demo express licences and paid licence fees once (idempotent). Flushes only."""
    technologies = {title: db.session.scalar(sa.select(Technology).where(
        Technology.title_zh == title)) for title in EXPRESS}
    if any(t is None for t in technologies.values()):
        return {"express_licences": 0}
    if fees.get_express(db.session, technologies[ALUMINIUM]) is not None:
        return {"express_licences": 0}
    now = utcnow()
    officer, sme, lab = (users[f"{who}@demo.czinno.cn"] for who in ("officer", "sme", "lab"))
    programme = db.session.scalar(sa.select(VoucherProgramme).where(
        VoucherProgramme.name_zh == PROGRAMME_NAME))
    if programme is not None and not programme.admits_technology_transfer:
        vouchers.update_programme(programme, officer, eligible_categories=[
            *(programme.eligible_categories or []), TECHNOLOGY_TRANSFER])
    made = 0
    for title, terms in EXPRESS.items():
        fees.set_express_licence(db.session, technologies[title], lab, is_active=True,
                                 now=now - timedelta(days=20), **terms)
        made += 1
    taken = 0
    technology, taihang = technologies[ALUMINIUM], organizations.get(TAIHANG)
    if taihang is not None and not technology_is_closed(db.session, technology):
        when = now - timedelta(days=10)
        usable = programme is not None and programme in fees.usable_programmes(taihang, when)
        fee = fees.take_express_licence(
            db.session, technology, sme, organization=taihang,
            programme=programme if usable else None, method="bank_transfer",
            request_key="demo:express:aluminium", now=when)
        if fee.payment is not None:
            payments.confirm_bank_transfer(db.session, fee.payment, user=lab,
                                           now=when + timedelta(days=2))
        taken = 1
    db.session.flush()
    return {"express_licences": made, "express_licences_taken": taken}
