"""Shared set-up: the booking world of tests/marketplace/bookings and voucher bookings in it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from marketplace.bookings import operations as bookings
from marketplace.bookings.rules import SHANGHAI
from marketplace.extensions import db, utcnow
from tests.marketplace.bookings.helpers import make_world  # noqa: F401


def book(world, start, end, *, now=None, programme="default"):
    return bookings.create_booking(
        world.instrument, world.sme, world.sme_user, start, end,
        programme=world.programme if programme == "default" else programme,
        purpose="断口分析", request_key=uuid.uuid4().hex, now=now or utcnow())


def completed(world, *, hours_ago: int = 0, minutes=None, note="测量断口形貌",
              invoice=None, days_back: int = 1):
    """A voucher booking of two hours, ``days_back`` days ago, approved and completed."""
    now = utcnow()
    world.instrument.opening_hours = {str(d): [["00:00", "24:00"]] for d in range(7)}
    world.instrument.booking_horizon_days = 400
    db.session.flush()
    day = (now - timedelta(days=days_back)).astimezone(SHANGHAI).replace(
        hour=9 + hours_ago, minute=0, second=0, microsecond=0)
    start = day.astimezone(now.tzinfo)
    end = start + timedelta(hours=2)
    made_at = start - timedelta(days=1)
    booking = book(world, start, end, now=made_at)
    bookings.approve_booking(booking, world.lab_user, made_at)
    bookings.complete_booking(booking, world.lab_user, 120 if minutes is None else minutes, note,
                              invoice, end + timedelta(minutes=5))
    db.session.commit()
    return booking
