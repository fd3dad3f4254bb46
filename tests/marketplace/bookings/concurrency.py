"""Helpers for the booking reliability tests (RELIABILITY.md §1.8 item 4, §2.4; table rows L4,
B1, B2): the one-line figures, worker threads that each run in their own application context
(so each has its own Flask-SQLAlchemy scoped session), a way to write a booking row straight
past the application's pre-check, and the invariant counts that must be 0.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from werkzeug.security import generate_password_hash

from marketplace.bookings.models import OPEN, SLOT_HOLDING, Booking, BookingHold, BookingStatus
from marketplace.extensions import db
from marketplace.ledger.models import HoldStatus, LedgerTransfer, TransferKind
from marketplace.transactions import begin_write
from tests.figures import store as figure_store


# ---------------------------------------------------------------------------------------------
# figures: printed by the test and repeated at the end of the run (tests/figures.py)
def report(request, name: str, line: str) -> None:
    """Print one summary line and keep it for the end-of-run summary."""
    figure_store("bookings")[name] = line
    print(line)


@pytest.fixture
def fast_passwords(monkeypatch):
    """Test users get a cheap password hash (these tests never sign in): the default scrypt
    costs a tenth of a second per user, most of the set-up time of a small world."""
    monkeypatch.setattr("marketplace.auth.models.generate_password_hash",
                        lambda password, method=None: generate_password_hash(password, "pbkdf2:sha256:1000"))


# ---------------------------------------------------------------------------------------------
# threads
@dataclass
class Outcome:
    index: int
    value: object = None
    error: BaseException | None = None


def run_in_threads(app, count: int, target, *, timeout: float = 120) -> list[Outcome]:
    """Run ``target(index)`` in ``count`` threads that start together. Each thread pushes its own
    application context, so ``db.session`` is a session of its own, removed when it ends.
    ``target`` commits or rolls back itself; what it returns or raises is in the outcome (return
    plain values, not ORM objects: the session is gone afterwards)."""
    barrier = threading.Barrier(count)
    outcomes = [Outcome(i) for i in range(count)]

    def work(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                outcomes[index].value = target(index)
            except BaseException as error:  # noqa: BLE001 — reported to the test
                outcomes[index].error = error
                try:
                    db.session.rollback()
                except Exception:  # noqa: BLE001, S110 — the session is removed below anyway
                    pass
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i,), name=f"booking-worker-{i}")
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"threads did not finish: {stuck}"
    return outcomes


def refused_by_database(error: BaseException) -> bool:
    """A ``SlotTakenError`` raised because the database guard (exclusion constraint / trigger)
    refused the insert, not the application's pre-check: it was raised while handling the
    ``IntegrityError``."""
    return isinstance(error.__context__, sa.exc.IntegrityError)


# ---------------------------------------------------------------------------------------------
# the database guard, without the application in front of it
def raw_booking(session, *, instrument_id: int, organization_id: int, user_id: int,
                starts_at: datetime, ends_at: datetime,
                status: BookingStatus = BookingStatus.REQUESTED) -> Booking:
    """Insert a booking row directly (no rules, no pre-check, no holds) in a SAVEPOINT and flush:
    only the database's overlap guard stands between it and the table. Raises the
    ``IntegrityError`` if the guard refuses (the SAVEPOINT is rolled back)."""
    begin_write(session)  # pysqlite: a SAVEPOINT outside a transaction would commit on release
    booking = Booking(instrument_id=instrument_id, organization_id=organization_id,
                      booked_by_id=user_id, starts_at=starts_at, ends_at=ends_at, status=status,
                      purpose="raw", rate_fen=0, price_fen=0, voucher_held_fen=0,
                      voucher_paid_fen=0, self_paid_fen=0, request_key=uuid.uuid4().hex)
    with session.begin_nested():
        session.add(booking)
        session.flush()
    return booking


def move_booking(session, booking_id: int, **values) -> None:
    """A direct ``UPDATE bookings SET …`` (starts_at, ends_at, status, instrument_id) in a
    SAVEPOINT; raises the ``IntegrityError`` if the overlap guard refuses it."""
    begin_write(session)
    with session.begin_nested():
        session.execute(sa.update(Booking).where(Booking.id == booking_id).values(**values)
                        .execution_options(synchronize_session=False))


# ---------------------------------------------------------------------------------------------
# invariants (RELIABILITY.md §2.4 items 2 and 3), counted straight from the tables
def invariant_counts(session) -> dict[str, int]:
    """Counts that must all be 0:

    * ``overlapping_pairs``: pairs of slot-holding bookings of one instrument whose half-open
      intervals intersect;
    * ``holds_without_active_booking``: open ledger holds that belong to no booking, or to a
      booking that is no longer requested/approved;
    * ``active_voucher_bookings_without_holds``: requested/approved bookings that say vouchers
      hold part of the price, but whose open holds do not add up to it;
    * ``status_hold_mismatches``: bookings whose status disagrees with the state of a hold
      (open booking with a resolved hold, or a closed booking with an open hold).
    """
    other = aliased(Booking)
    overlapping = session.scalar(
        sa.select(sa.func.count()).select_from(Booking)
        .join(other, sa.and_(other.instrument_id == Booking.instrument_id, other.id > Booking.id,
                             other.starts_at < Booking.ends_at, Booking.starts_at < other.ends_at))
        .where(Booking.status.in_(SLOT_HOLDING), other.status.in_(SLOT_HOLDING)))
    orphan_holds = session.scalar(
        sa.select(sa.func.count()).select_from(LedgerTransfer)
        .outerjoin(BookingHold, BookingHold.transfer_id == LedgerTransfer.id)
        .outerjoin(Booking, Booking.id == BookingHold.booking_id)
        .where(LedgerTransfer.kind == TransferKind.PENDING,
               LedgerTransfer.status == HoldStatus.PENDING,
               sa.or_(Booking.id.is_(None), Booking.status.not_in(OPEN))))
    open_held = (sa.select(BookingHold.booking_id,
                           sa.func.sum(BookingHold.amount_fen).label("held"))
                 .join(LedgerTransfer, LedgerTransfer.id == BookingHold.transfer_id)
                 .where(LedgerTransfer.status == HoldStatus.PENDING)
                 .group_by(BookingHold.booking_id).subquery())
    unheld = session.scalar(
        sa.select(sa.func.count()).select_from(Booking)
        .outerjoin(open_held, open_held.c.booking_id == Booking.id)
        .where(Booking.status.in_(OPEN), Booking.voucher_held_fen > 0,
               sa.func.coalesce(open_held.c.held, 0) != Booking.voucher_held_fen))
    mismatched = session.scalar(
        sa.select(sa.func.count(sa.distinct(Booking.id))).select_from(Booking)
        .join(BookingHold, BookingHold.booking_id == Booking.id)
        .join(LedgerTransfer, LedgerTransfer.id == BookingHold.transfer_id)
        .where(sa.or_(sa.and_(Booking.status.in_(OPEN),
                              LedgerTransfer.status != HoldStatus.PENDING),
                      sa.and_(Booking.status.not_in(OPEN),
                              LedgerTransfer.status == HoldStatus.PENDING))))
    return {"overlapping_pairs": overlapping, "holds_without_active_booking": orphan_holds,
            "active_voucher_bookings_without_holds": unheld, "status_hold_mismatches": mismatched}


def figures_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}={value}" for name, value in counts.items())
