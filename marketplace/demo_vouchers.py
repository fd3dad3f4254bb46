"""The demo's voucher programme, quotas, bookings in every state and a paid reimbursement batch.

Everything goes through the real operations (so the ledger is exactly what the app would have
written), with ``now`` moved back in time for what happened in the past. Loaded once: if the demo
programme exists, nothing is done (``load_demo`` stays idempotent).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from listings.models import Instrument
from marketplace.bookings import operations as bookings
from marketplace.bookings import rules
from marketplace.bookings.models import Booking
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import Organization
from marketplace.settlement import operations as settlement
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.models import VoucherProgramme

PROGRAMME_NAME = "2026—2027年度长治市科技创新券"

CZU_LAB = "12140400MB1734562"  # 长治学院分析测试中心
SD_MATERIALS = "12140400MB1826378"  # 上党新材料研究院
TAIHANG = "91140400MA0K7U2X3"  # 长治市太行精密机械有限公司 (sme@)
JINDONGNAN = "91140423MA0L2B8C5"  # 襄垣县晋东南光电材料有限公司 (sme@ member)
HUAYAO = "91140404MA0Q6R7T1"  # 长治华耀光伏科技有限公司

SEM = "场发射扫描电子显微镜 Hitachi SU8010"
EBSD = "热场发射扫描电镜（配EBSD）ZEISS Sigma 300"
XRD = "X射线衍射仪 Bruker D8 Advance"


def load_demo_vouchers(users: dict, organizations: dict[str, Organization]) -> dict[str, int]:
    """Create the demo programme and its history (once). Flushes, never commits."""
    if db.session.scalar(sa.select(VoucherProgramme).where(VoucherProgramme.name_zh == PROGRAMME_NAME)):
        return {"programme_created": 0, "bookings_created": 0}
    now = utcnow()
    officer = users["officer@demo.czinno.cn"]
    sme, lab = users["sme@demo.czinno.cn"], users["lab@demo.czinno.cn"]
    taihang, jindongnan, huayao = (organizations[c] for c in (TAIHANG, JINDONGNAN, HUAYAO))
    instruments = {title: db.session.scalar(sa.select(Instrument).where(Instrument.title_zh == title))
                   for title in (SEM, EBSD, XRD)}

    programme = vouchers.create_programme(
        officer, name_zh=PROGRAMME_NAME, name_en="Changzhi Innovation Vouchers 2026–2027",
        description="面向在长治市注册的科技型中小微企业，用于购买大型科研仪器共享服务、检验检测服务。"
                    "市级财政承担服务费的50%，企业所在县（区）财政承担20%；单笔服务费不足300元的，"
                    "可全额使用创新券支付。",
        layers=[vouchers.LayerSpec("市级财政", 5000, 300_000_000, "City budget"),
                vouchers.LayerSpec("县（区）财政", 2000, 120_000_000, "District budgets")],
        per_application_cap_fen=20_000_000, annual_cap_per_enterprise_fen=50_000_000,
        validity_days=180, full_payment_threshold_fen=30_000,
        starts_on=(now - timedelta(days=240)).date(), ends_on=(now + timedelta(days=300)).date())
    vouchers.open_programme(programme, officer)
    earlier = now - timedelta(days=230)
    for code in (CZU_LAB, SD_MATERIALS):
        vouchers.admit_provider(programme, organizations[code], officer, earlier, "资质审核通过")

    # quotas: one live, one expired (its rest returned to the budget), one refused, one waiting
    granted_at = now - timedelta(days=40)
    live = _grant(programme, taihang, sme, officer, 10_000_000, 8_000_000, granted_at,
                  "扫描电镜断口分析、铝合金热处理组织检测")
    old = _grant(programme, jindongnan, sme, officer, 3_000_000, 3_000_000, earlier,
                 "光电材料XRD物相分析")
    refused = vouchers.apply_for_quota(programme, huayao, _owner(huayao, sme), 5_000_000,
                                       "光伏组件检测", now - timedelta(days=20))
    vouchers.refuse_quota(refused, officer, "申报材料缺少近一年研发投入证明，请补充后重新申报。",
                          now - timedelta(days=18))
    vouchers.apply_for_quota(programme, jindongnan, sme, 6_000_000,
                             "新产品中试阶段的XPS与拉曼检测", now - timedelta(days=2))

    for title in (SEM, EBSD, XRD):
        bookings.grant_qualification(instruments[title], sme.email, lab, "已完成上机培训并考核合格")

    made = 0
    sem, ebsd, xrd = instruments[SEM], instruments[EBSD], instruments[XRD]
    # the expired quota paid one XRD session long ago
    made += _past(xrd, jindongnan, sme, lab, programme, now - timedelta(days=200), "demo:xrd:old",
                  "光电薄膜物相分析", outcome="complete", minutes=120, invoice="14052601")
    vouchers.expire_quotas(old.expires_at + timedelta(hours=1))
    # settled: used 25 days ago and reimbursed
    settled = _past(sem, taihang, sme, lab, programme, now - timedelta(days=26), "demo:sem:settled",
                    "液压阀体断口分析", outcome="complete", minutes=150, invoice="14052677")
    # completed, waiting for the next reimbursement batch
    made += settled + _past(sem, taihang, sme, lab, programme, now - timedelta(days=6),
                            "demo:sem:completed", "铝合金铸件气孔形貌观察", outcome="complete",
                            minutes=90, invoice="14052733")
    made += _past(xrd, taihang, sme, lab, programme, now - timedelta(days=9), "demo:xrd:no-show",
                  "涂层物相分析", outcome="no_show")
    sem_settled = db.session.scalar(sa.select(Booking).where(Booking.request_key == "demo:sem:settled"))
    day = sem_settled.completed_at.astimezone(rules.SHANGHAI).date()
    batch = settlement.create_batch(programme, officer, day, day, now - timedelta(days=15))
    settlement.approve_batch(batch, officer, now - timedelta(days=14))
    settlement.pay_batch(batch, officer, "长财科〔2026〕118号", now - timedelta(days=12))

    # the future: confirmed, awaiting approval, rejected, cancelled
    made += _future(sem, taihang, sme, lab, programme, now, 3, "demo:sem:approved", "新品零件断口失效分析")
    made += _future(ebsd, taihang, sme, lab, programme, now, 5, "demo:ebsd:requested",
                    "7075铝合金EBSD织构分析", outcome="wait")
    made += _future(ebsd, taihang, sme, lab, programme, now, 8, "demo:ebsd:rejected",
                    "焊缝晶粒取向分析", outcome="reject")
    made += _future(xrd, taihang, sme, lab, None, now, 4, "demo:xrd:cancelled", "残余应力测试",
                    outcome="cancel")
    db.session.flush()
    return {"programme_created": 1, "bookings_created": made, "quota_granted_fen": live.amount_fen}


def _owner(organization: Organization, fallback):
    return organization.owners[0] if organization.owners else fallback


def _grant(programme, organization, user, officer, requested, amount, at: datetime, purpose: str):
    applicant = user if organization.is_member(user) else _owner(organization, officer)
    application = vouchers.apply_for_quota(programme, organization, applicant, requested, purpose,
                                           at - timedelta(days=3))
    return vouchers.grant_quota(application, officer, amount,
                                None if amount == requested else "按年度预算部分批准", at)


def _slots(instrument, after: datetime, minutes: int):
    """The first opening-hours slot of ``minutes`` starting at least a day after ``after``."""
    day = rules.local(after).date() + timedelta(days=1)
    for _ in range(30):
        for start, end in rules.opening_spans(instrument, day):
            if (end - start).total_seconds() >= minutes * 60:
                return start, start + timedelta(minutes=minutes)
        day += timedelta(days=1)
    raise RuntimeError(f"no opening hours for {instrument.title_zh}")


def _book(instrument, org, user, programme, start, end, key, purpose, now):
    return bookings.create_booking(instrument, org, user, start, end, programme=programme,
                                   purpose=purpose, request_key=key, now=now)


def _past(instrument, org, user, lab, programme, when, key, purpose, *, outcome, minutes=120,
          invoice=None) -> int:
    start, end = _slots(instrument, when, 120)
    booked_at = start - timedelta(days=3)
    booking = _book(instrument, org, user, programme, start, end, key, purpose, booked_at)
    if booking.status.value == "requested":
        bookings.approve_booking(booking, lab, booked_at + timedelta(hours=2))
    if outcome == "complete":
        bookings.complete_booking(booking, lab, minutes, "按预约完成测试，已出具检测报告。", invoice,
                                  end + timedelta(hours=1))
        if booking.self_paid_fen:
            bookings.record_self_paid_received(booking, lab, end + timedelta(days=2))
    else:
        bookings.record_no_show(booking, lab, start + timedelta(minutes=40))
    return 1


def _future(instrument, org, user, lab, programme, now, days, key, purpose, outcome="keep") -> int:
    start, end = _slots(instrument, now + timedelta(days=days - 1), 120)
    booking = _book(instrument, org, user, programme, start, end, key, purpose, now)
    if outcome == "reject":
        bookings.reject_booking(booking, lab, "该时段设备计划维护保养，请改约其他时间。", now)
    elif outcome == "cancel":
        bookings.cancel_booking(booking, user, "样品尚未准备好", now)
    elif outcome == "keep" and booking.status.value == "requested":
        bookings.approve_booking(booking, lab, now)
    return 1
