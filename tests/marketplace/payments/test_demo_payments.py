"""The demo's bank-transfer payments: two confirmed, one waiting; loading again adds nothing."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.demo import load_demo
from marketplace.payments.models import Payment, PaymentMethod, PaymentStatus


def test_demo_payments_are_created_once(db):
    first = load_demo()
    db.session.commit()
    second = load_demo()
    db.session.commit()
    assert first["payments_created"] == 3 and first["payments_confirmed"] == 2
    assert second["payments_created"] == 0
    found = db.session.scalars(sa.select(Payment).where(Payment.purpose == "booking_self_paid")
                               .order_by(Payment.id)).all()  # the demo's pledges pay too
    assert [p.method for p in found] == [PaymentMethod.BANK_TRANSFER] * 3
    assert [p.status for p in found] == [PaymentStatus.PAID, PaymentStatus.PAID, PaymentStatus.PENDING]
    print(f"demo payments: {len(found)} bank transfers, 2 confirmed, 1 pending; second load adds 0")
