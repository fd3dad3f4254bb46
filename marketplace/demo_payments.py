"""Demo payments (step 4): bank transfers (对公转账) for the self-paid part of three past
bookings paid by 长治市太行精密机械有限公司 without vouchers — two confirmed by the lab, one
waiting for the lab to confirm. Through the real operations; loaded once (the demo's first
payment key is looked up first, so running the demo again changes nothing)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from listings.models import Instrument
from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking
from marketplace.demo_vouchers import EBSD, SEM, TAIHANG, XRD, _book, _slots
from marketplace.extensions import db, utcnow
from marketplace.payments import operations as payments
from marketplace.payments.booking_payments import start_booking_payment
from marketplace.payments.models import PaymentMethod

# (instrument, days ago, booking key, purpose, minutes used, confirmed by the lab)
DEMO = (
    (SEM, 20, "demo:pay:sem", "轴承钢夹杂物形貌观察", 60, True),
    (XRD, 15, "demo:pay:xrd", "陶瓷粉体物相鉴定", 90, True),
    (EBSD, 12, "demo:pay:ebsd", "冷轧板再结晶织构分析", 120, False),
)


def load_demo_payments(users: dict, organizations: dict) -> dict[str, int]:
    """Create the demo bank-transfer payments (once). Flushes, never commits."""
    if db.session.scalar(sa.select(Booking.id).where(Booking.request_key == DEMO[0][2])):
        return {"payments_created": 0}
    now = utcnow()
    sme, lab = users["sme@demo.czinno.cn"], users["lab@demo.czinno.cn"]
    taihang = organizations[TAIHANG]
    made = confirmed_count = 0
    for title, days_ago, key, purpose, minutes, confirmed in DEMO:
        instrument = db.session.scalar(sa.select(Instrument).where(Instrument.title_zh == title))
        if instrument is None:
            continue
        start, end = _slots(instrument, now - timedelta(days=days_ago), 120)
        booked_at = start - timedelta(days=3)
        booking = _book(instrument, taihang, sme, None, start, end, key, purpose, booked_at)
        if booking.status.value == "requested":
            bookings.approve_booking(booking, lab, booked_at + timedelta(hours=2))
        bookings.complete_booking(booking, lab, minutes, "按预约完成测试，已出具检测报告。", None,
                                  end + timedelta(hours=1))
        payment = start_booking_payment(db.session, booking, sme, PaymentMethod.BANK_TRANSFER,
                                        end + timedelta(days=1))
        if confirmed:
            payments.confirm_bank_transfer(db.session, payment, user=lab,
                                           now=end + timedelta(days=3))
            confirmed_count += 1
        made += 1
    db.session.flush()
    return {"payments_created": made, "payments_confirmed": confirmed_count}

