"""Each signal: one case that triggers it and one that does not; a scan twice adds nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.bookings.models import Booking
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.integrity import attempts, detectors
from marketplace.integrity.models import (
    DUPLICATE_INVOICE,
    HELD_MAXIMUM,
    NO_USAGE,
    PROVIDER_SHARE,
    RELATED_PARTY,
    SHARED_IDENTITY,
    Signal,
)
from tests.factories import grant, make_organization, make_user
from tests.marketplace.bookings.helpers import local
from tests.marketplace.integrity.helpers import book, completed, make_world


def signals(kind=None):
    db.session.expire_all()
    query = sa.select(Signal).order_by(Signal.id)
    if kind:
        query = query.where(Signal.kind == kind)
    return list(db.session.scalars(query))


def scan():
    counts = detectors.scan(db.session, utcnow())
    db.session.commit()
    return counts


# --- related party ----------------------------------------------------------------------------
def test_related_party_attempt_is_recorded_after_the_rollback_once_per_attempt(db):
    world = make_world()
    world.sme.actual_controller = world.lab.actual_controller
    db.session.commit()
    with pytest.raises(DomainError, match="related party"):
        book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.rollback()
    assert signals() == []  # not yet: the refused transaction wrote nothing
    assert attempts.write_pending() == 1
    [signal] = signals(RELATED_PARTY)
    assert signal.organization_id == world.sme.id
    assert ["organization", world.lab.id] in signal.records
    assert "related party" in detectors.explain(signal)
    assert attempts.write_pending() == 0  # nothing remembered twice
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_unrelated_booking_records_no_attempt(db):
    world = make_world()
    book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.commit()
    assert attempts.pending_attempts() == []
    assert signals() == []


# --- duplicate invoice ------------------------------------------------------------------------
def test_same_invoice_number_twice_is_a_signal(db):
    world = make_world()
    completed(world, invoice="INV-2026-001", days_back=2)
    completed(world, invoice="inv-2026-001 ", days_back=3)
    assert scan().get(DUPLICATE_INVOICE) == 1
    [signal] = signals(DUPLICATE_INVOICE)
    assert signal.data["uses"] == 2 and "appears on 2 records" in detectors.explain(signal)
    assert scan() == {}  # idempotent
    assert len(signals(DUPLICATE_INVOICE)) == 1


def test_different_invoice_numbers_are_not(db):
    world = make_world()
    completed(world, invoice="INV-1", days_back=2)
    completed(world, invoice="INV-2", days_back=3)
    scan()
    assert signals(DUPLICATE_INVOICE) == []


# --- usage always at the held maximum ---------------------------------------------------------
def test_usage_always_at_the_held_maximum(db):
    world = make_world()
    for day in (2, 3, 4):
        completed(world, days_back=day)
    scan()
    [signal] = signals(HELD_MAXIMUM)
    assert signal.organization_id == world.lab.id and signal.data["bookings"] == 3
    assert "exactly the booked time" in detectors.explain(signal)


def test_usage_that_varies_is_not_a_signal(db):
    world = make_world()
    completed(world, days_back=2)
    completed(world, days_back=3)
    completed(world, days_back=4, minutes=90)
    scan()
    assert signals(HELD_MAXIMUM) == []


# --- provider share ---------------------------------------------------------------------------
def test_provider_share_above_threshold_with_hhi(db, app):
    world = make_world()
    completed(world, days_back=2)
    scan()
    [signal] = signals(PROVIDER_SHARE)
    assert signal.data["share_bp"] == 10_000 and signal.data["hhi"] == 10_000
    assert "Herfindahl–Hirschman index is 10000" in detectors.explain(signal)


def test_provider_share_below_threshold(db, app):
    world = make_world()
    completed(world, days_back=2)
    app.config["INTEGRITY_PROVIDER_SHARE_BP"] = 10_000
    try:
        scan()
    finally:
        app.config.pop("INTEGRITY_PROVIDER_SHARE_BP")
    assert signals(PROVIDER_SHARE) == []


# --- completed without a usage record ---------------------------------------------------------
def test_completed_without_usage_record(db):
    world = make_world()
    booking = completed(world, days_back=2, note="")
    scan()
    [signal] = signals(NO_USAGE)
    assert ["booking", booking.id] in signal.records


def test_completed_with_usage_record(db):
    world = make_world()
    completed(world, days_back=2, note="SEM 断口分析 2 小时")
    scan()
    assert signals(NO_USAGE) == []


# --- shared controller, phone or address ------------------------------------------------------
def test_quotas_to_enterprises_sharing_a_phone(db):
    world = make_world()
    world.sme.contact_phone = "0355-1234567"
    twin = make_organization(make_user(), contact_phone="0355 123 4567", actual_controller="李四")
    grant(world.programme, twin, 100_000, officer=world.officer)
    db.session.commit()
    scan()
    [signal] = signals(SHARED_IDENTITY)
    assert set(signal.organization_ids) == {world.sme.id, twin.id}
    assert signal.data["field"] == "contact_phone"
    assert "contact phone" in detectors.explain(signal)
    assert scan() == {}


def test_enterprises_with_nothing_in_common(db):
    world = make_world()
    world.sme.contact_phone, world.sme.address = "0355-1111111", "长治市潞州区一号"
    other = make_organization(make_user(), contact_phone="0355-2222222", address="长治市二号",
                              actual_controller="王五")
    grant(world.programme, other, 100_000, officer=world.officer)
    db.session.commit()
    scan()
    assert signals(SHARED_IDENTITY) == []


def test_cleared_signal_is_not_raised_again(db):
    from marketplace.integrity import operations as ops

    world = make_world()
    completed(world, days_back=2, note="")
    scan()
    signal = signals(NO_USAGE)[0]
    ops.clear_signal(signal, world.officer, "口头记录已补", utcnow())
    db.session.commit()
    assert scan() == {}
    assert [s.status for s in signals(NO_USAGE)] == ["cleared"]
