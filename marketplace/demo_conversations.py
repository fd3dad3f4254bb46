"""Demo conversations and reviews (step 5).

* 太行精密机械 (sme@) ↔ 长治学院分析测试中心 (lab@) about the SEM: three messages, the last one
  unread for lab@ (the nav shows a badge);
* 潞城太行创客空间 (maker@) ↔ the same centre about its XRD, reported by lab@ to the programme
  office (officer@ sees it on the office page);
* reviews of the oldest completed booking of the SEM by 太行精密机械: both sides rated each
  other; and one reported review for the officer (on another completed booking, if there is one).

Through the real operations; made once (a conversation that has messages is left alone, a deal
already reviewed is not reviewed again). Flushes only.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from listings.models import Instrument
from marketplace.extensions import db, utcnow

CZU_LAB = "12140400MB1734562"  # 长治学院分析测试中心 (lab@)
TAIHANG = "91140400MA0K7U2X3"  # 长治市太行精密机械有限公司 (sme@)
MAKERS = "92140406MA0N8F9G2"  # 潞城太行创客空间 (maker@)
SEM = "场发射扫描电子显微镜 Hitachi SU8010"
XRD = "X射线衍射仪 Bruker D8 Advance"


def load_demo_conversations(users: dict, organizations: dict) -> dict[str, int]:
    """Create the demo conversations and reviews once (idempotent). Flushes only."""
    from marketplace.conversations import operations as conversations

    lab_org, taihang, makers = (organizations.get(c) for c in (CZU_LAB, TAIHANG, MAKERS))
    sme, lab, maker = (users.get(f"{n}@demo.czinno.cn") for n in ("sme", "lab", "maker"))
    if None in (lab_org, taihang, makers, sme, lab, maker):
        return {"conversations_created": 0, "reviews_created": 0}
    instruments = {i.title_zh: i for i in db.session.scalars(
        sa.select(Instrument).where(Instrument.title_zh.in_([SEM, XRD])))}
    made = 0
    now = utcnow()
    sem = instruments.get(SEM)
    if sem is not None and sem.is_published:
        conversation = conversations.open_conversation(db.session, sme, listing=sem,
                                                       acting_organization=taihang)
        if not conversation.messages:
            for author, body, hours in (
                    (sme, "您好，我们想在下周做一批铝合金护帮板的断口分析，大约12个样品，"
                          "请问周三上午电镜有空吗？需要提前做喷金处理吗？", 30),
                    (lab, "周三上午可以。铝合金样品导电性好，一般不需要喷金；请把样品切成"
                          "1厘米见方以内，并注明编号。", 26),
                    (sme, "好的，我们周二下午把样品送过来，创新券支付。谢谢！", 2)):
                message = conversations.post_message(db.session, conversation, author, body)
                message.created_at = now - timedelta(hours=hours)
            conversation.last_message_at = now - timedelta(hours=2)
            made += 1
    xrd = instruments.get(XRD)
    if xrd is not None and xrd.is_published:
        conversation = conversations.open_conversation(db.session, maker, listing=xrd,
                                                       acting_organization=makers)
        if not conversation.messages:
            conversations.post_message(db.session, conversation, maker,
                                       "代理各类检测报告，包过，价格优惠，加微信详谈。")
            conversations.report_conversation(db.session, conversation, lab,
                                              "对方发送与仪器预约无关的广告，疑似代办检测报告。")
            made += 1
    reviews = _reviews(users, lab_org, taihang, sme, lab)
    return {"conversations_created": made, "reviews_created": reviews}


def _reviews(users, lab_org, taihang, sme, lab) -> int:
    from marketplace.bookings.models import Booking, BookingStatus
    from marketplace.reviews import operations as reviews
    from marketplace.reviews.models import DealKind

    done = list(db.session.scalars(
        sa.select(Booking).where(Booking.status.in_([BookingStatus.COMPLETED,
                                                     BookingStatus.SETTLED]),
                                 Booking.organization_id == taihang.id)
        .order_by(Booking.id)))
    made = 0
    plan = [(sme, 5, "预约响应快，电镜操作老师很专业，当天就拿到了断口形貌照片和分析意见。"),
            (lab, 5, "样品准备规范，编号清楚，按时到场。")]
    if done:
        deal = reviews.describe(DealKind.BOOKING, done[0])
        for user, stars, text in plan:
            side = reviews.side_of(db.session, deal, user)
            if side is not None and reviews.find_review(db.session, deal, side.id) is None:
                reviews.create_review(db.session, user, deal_kind=DealKind.BOOKING,
                                      deal=done[0], stars=stars, text=text)
                made += 1
    if len(done) > 1:
        deal = reviews.describe(DealKind.BOOKING, done[1])
        side = reviews.side_of(db.session, deal, sme)
        if side is not None and reviews.find_review(db.session, deal, side.id) is None:
            review = reviews.create_review(db.session, sme, deal_kind=DealKind.BOOKING,
                                           deal=done[1], stars=2,
                                           text="报告比约定晚了两天，中间沟通不太及时。")
            reviews.report_review(db.session, review, lab,
                                  "报告延迟是因为企业补送样品，评价与事实不符。")
            made += 1
    return made
