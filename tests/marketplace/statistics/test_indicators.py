"""The dashboard's figures agree with the ledger, recomputed here independently from the
entries (by account code and hold state, not by the indicators' transfer classification)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from marketplace.bookings import operations as bookings
from marketplace.extensions import db, utcnow
from marketplace.ledger.models import HoldStatus, LedgerAccount, LedgerEntry, LedgerTransfer
from marketplace.settlement import operations as settlement
from marketplace.statistics import indicators
from marketplace.statistics.indicators import Filters
from marketplace.vouchers import operations as vouchers
from tests import factories
from tests.marketplace.bookings.helpers import local, make_world


def _booking(world, day, *, complete=True, minutes=60, approve=True):
    booking = bookings.create_booking(
        world.instrument, world.sme, world.sme_user, local(day, "09:00"), local(day, "10:00"),
        programme=world.programme, purpose="", request_key=uuid.uuid4().hex, now=utcnow())
    if approve:
        bookings.approve_booking(booking, world.lab_user, utcnow())
    if approve and complete:
        bookings.complete_booking(booking, world.lab_user, minutes, "ok", f"INV-{booking.id}",
                                  booking.starts_at + timedelta(hours=1))
    db.session.commit()
    return booking


def _from_ledger(programme):
    """Granted, held, spent, expired, reimbursed of one programme straight from the entries."""
    rows = db.session.execute(
        sa.select(LedgerAccount.code, LedgerEntry.amount, LedgerEntry.pending,
                  LedgerTransfer.status, LedgerTransfer.idempotency_key)
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .join(LedgerTransfer, LedgerTransfer.id == LedgerEntry.transfer_id)).all()
    prefix = f"programme:{programme.id}:"
    layer_ids = {layer.id for layer in programme.layers}
    figures = dict.fromkeys(("granted", "held", "spent", "expired", "reimbursed"), 0)
    for code, amount, pending, status, key in rows:
        if code.startswith(prefix) and code.endswith(":budget") and not pending:
            if ":grant:" in key:
                figures["granted"] -= amount
            elif ":expire:" in key or "released" in key or ":return" in key:
                figures["expired"] += amount
        elif f":programme:{programme.id}:" in code and code.endswith(":receivable"):
            if pending and status == HoldStatus.PENDING:
                figures["held"] += amount
            elif not pending and amount > 0:
                figures["spent"] += amount
        elif code.startswith(prefix) and code.endswith(":reimbursed"):
            figures["reimbursed"] += amount
    assert layer_ids
    return figures


def test_voucher_figures_agree_with_the_ledger(db):
    world = make_world(quota_fen=1_000_000)
    second_sme = factories.make_organization(factories.make_user(), district_code="140404")
    factories.grant(world.programme, second_sme, 300_000)
    db.session.commit()
    paid = [_booking(world, 1), _booking(world, 2, minutes=30)]
    _booking(world, 3, complete=False)  # approved: its hold stays open
    _booking(world, 4, approve=False)  # requested: also held
    day = paid[0].completed_at.astimezone(indicators.SHANGHAI).date()
    batch = settlement.create_batch(world.programme, world.officer, day - timedelta(days=7),
                                    day + timedelta(days=7), utcnow())
    settlement.approve_batch(batch, world.officer, utcnow())
    settlement.pay_batch(batch, world.officer, "财政直达 2027-001", utcnow())
    db.session.commit()
    # the second enterprise's quota expires: its whole amount goes back
    vouchers.expire_quotas(utcnow() + timedelta(days=400))
    db.session.commit()

    overview = indicators.voucher_overview(db.session, Filters(), utcnow())
    expected = _from_ledger(world.programme)
    totals = overview.totals
    got = {"granted": totals.granted_fen, "held": totals.held_fen, "spent": totals.spent_fen,
           "expired": totals.expired_fen, "reimbursed": totals.reimbursed_fen}
    assert got == expected
    assert expected["granted"] == 1_300_000 and expected["spent"] > 0
    assert expected["held"] > 0 and expected["reimbursed"] == expected["spent"]
    assert expected["expired"] >= 300_000
    assert totals.budget_fen == world.programme.budget_fen
    # per layer, per month and per district sum to the totals
    for name in ("granted_fen", "held_fen", "spent_fen", "expired_fen", "reimbursed_fen"):
        assert sum(getattr(r.figures, name) for r in overview.layers) == getattr(totals, name)
        assert sum(getattr(f, name) for _, f in overview.months) == getattr(totals, name)
        assert sum(getattr(f, name) for _, f in overview.districts) == getattr(totals, name)
    by_district = dict(overview.districts)
    assert by_district["140404"].granted_fen == 300_000
    # the open-data view of spending agrees
    monthly = indicators.vouchers_by_month_and_district(db.session, Filters(), utcnow())
    assert sum(r.spent_fen for r in monthly) == expected["spent"]
    assert sum(r.bookings_paid for r in monthly) == 2
    # the district filter keeps only that district's enterprises
    only = indicators.voucher_overview(db.session, Filters(district="140404"), utcnow())
    assert only.totals.granted_fen == 300_000 and only.totals.spent_fen == 0


def test_instrument_openness_and_marketplace_summary(db):
    world = make_world(quota_fen=1_000_000)
    used = _booking(world, 1, minutes=45)
    _booking(world, 2, complete=False)
    cancelled = _booking(world, 3, complete=False)
    bookings.cancel_booking(cancelled, world.sme_user, "plans changed", utcnow())
    db.session.commit()
    rows = indicators.instrument_openness(db.session, Filters(), utcnow() + timedelta(days=10))
    (row,) = [r for r in rows if r.listing_id == world.instrument.id]
    assert row.bookings == 3 and row.cancellations == 1 and row.no_shows == 0
    assert row.hours_used == 0.75 and row.hours_booked == 2.0
    assert row.external_share_bp == 10_000 and row.median_wait_hours is not None
    assert row.hours_open > 0
    (provider,) = indicators.provider_openness(rows)
    assert provider.provider_id == world.lab.id and provider.hours_used == 0.75
    assert used.status.value == "completed"
    # another district sees nothing
    assert indicators.instrument_openness(db.session, Filters(district="140404"), utcnow()) == []
    summary = indicators.marketplace_summary(db.session, Filters(), utcnow())
    assert summary.listings["instrument"]["140403"] >= 1
    assert summary.campaigns_launched == 0 and summary.spaces_leased == 0
