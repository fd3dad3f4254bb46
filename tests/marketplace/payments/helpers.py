"""Set-up shared by the payment tests: a completed booking whose self-paid part is owed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from marketplace.bookings import operations as bookings
from marketplace.checks import ALL_CHECKS
from marketplace.extensions import db, utcnow
from marketplace.ledger.models import LedgerAccount
from marketplace.ledger.queries import verify
from tests.marketplace.bookings.helpers import local, make_world


@dataclass
class Owed:
    world: object
    booking: object


def completed_booking(world=None, *, hours: int = 2, day: int = 1, quota_fen=None) -> Owed:
    """A booking of ``hours`` hours at ¥600/h paid by the SME itself (no vouchers), completed a
    day later; its self-paid part (¥600 × hours) is owed."""
    world = world or make_world(quota_fen=quota_fen, requires_approval=False)
    start = local(day, "09:00")
    booking = bookings.create_booking(
        world.instrument, world.sme, world.sme_user, start, start + timedelta(hours=hours),
        programme=None, purpose="断口分析", request_key=uuid.uuid4().hex, now=utcnow())
    bookings.complete_booking(booking, world.lab_user, hours * 60, "", None,
                              start + timedelta(hours=hours + 1))
    db.session.commit()
    return Owed(world, booking)


def balance(code: str) -> int:
    db.session.expire_all()
    value = db.session.scalar(sa.select(LedgerAccount.posted_balance).where(LedgerAccount.code == code))
    return value or 0


def assert_ledger_balanced() -> None:
    report = verify(db.session, ALL_CHECKS)
    assert report.ok, report.verdict()
