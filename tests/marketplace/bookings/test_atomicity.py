"""L4: a booking's status and its voucher holds change in one transaction (RELIABILITY.md §1.8
item 4; table row L4: 100 scripted crashes).

Every operation that moves voucher money beside a booking change — create (holds), approve,
reject, reject after the quota expired (void + return to the budget), late cancel, complete
(post), no-show (void) and the settlement's ``pay_batch`` (receivable → reimbursed, settle) —
is crashed at named points: just before or after the n-th ledger call (``hold``, ``post``,
``void``, ``transfer``), right after the booking model's transition, in the audit entry, in
the notification, and at commit. The test then rolls back, as a request that raised does, and
checks:

* the crash left no trace: bookings, holds, quotas, batches and the whole ledger (accounts,
  transfers, entries) are exactly as before the attempt;
* no booking's status disagrees with its holds' states (the L4 figure) and no hold lost its
  booking (RELIABILITY.md §2.4 item 3);
* a retry of the same request succeeds, exactly once: a second retry moves nothing (the same
  booking for a create with the same request key, "no longer possible" for the others).

``BOOKING_SEED`` sets the seed that orders the crashes (printed).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking, BookingHold, BookingStatus
from marketplace.checks import ALL_CHECKS
from marketplace.errors import DomainError, InvalidStateError
from marketplace.extensions import db, utcnow
from marketplace.ledger import operations as ledger
from marketplace.ledger.models import (
    HoldStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransfer,
    TransferKind,
)
from marketplace.ledger.queries import verify
from marketplace.settlement import operations as settlement
from marketplace.settlement.models import BatchStatus, ReimbursementBatch, ReimbursementItem
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.models import Quota
from tests.factories import admit, grant, make_organization, make_programme, make_user
from tests.marketplace.bookings.concurrency import (
    fast_passwords,  # noqa: F401 — fixture
    invariant_counts,
    report,
)
from tests.marketplace.bookings.helpers import local, make_world

pytestmark = pytest.mark.usefixtures("fast_passwords")

SEED = int(os.environ.get("BOOKING_SEED", "20261201"))
CRASHES = int(os.environ.get("BOOKING_L4_CRASHES", "100"))
LONG_DAY = {str(d): [["08:00", "20:00"]] for d in range(7)}

# the named crash points of each operation: (when, what, n) — "after ledger.void #2" raises
# right after the second ledger.void call of the operation returned
POINTS = {
    "create": [("before", "ledger.hold", 1), ("after", "ledger.hold", 1),
               ("after", "ledger.hold", 2), ("after", "audit", 1), ("after", "notify", 1),
               ("at", "commit", 1)],
    "approve": [("after", "Booking.approve", 1), ("after", "audit", 1), ("after", "notify", 1),
                ("at", "commit", 1)],
    "reject": [("after", "Booking.reject", 1), ("after", "ledger.void", 1),
               ("after", "ledger.void", 2), ("after", "audit", 1), ("at", "commit", 1)],
    "reject_expired": [("after", "ledger.void", 1), ("after", "ledger.transfer", 1),
                       ("after", "ledger.transfer", 2), ("after", "audit", 1),
                       ("at", "commit", 1)],
    "cancel_late": [("after", "Booking.cancel", 1), ("after", "ledger.void", 1),
                    ("after", "ledger.void", 2), ("after", "audit", 1), ("at", "commit", 1)],
    "complete": [("after", "ledger.post", 1), ("after", "ledger.post", 2),
                 ("after", "Booking.complete", 1), ("after", "audit", 1), ("after", "notify", 1),
                 ("at", "commit", 1)],
    "no_show": [("after", "Booking.mark_no_show", 1), ("after", "ledger.void", 1),
                ("after", "ledger.void", 2), ("after", "audit", 1), ("at", "commit", 1)],
    "pay_batch": [("after", "ledger.transfer", 1), ("after", "ledger.transfer", 2),
                  ("after", "Booking.settle", 1), ("after", "ledger.transfer", 3),
                  ("after", "Booking.settle", 2), ("after", "audit", 1), ("at", "commit", 1)],
}


class InjectedCrash(Exception):
    """The process 'dies' here: the request's transaction is rolled back."""


class Faults:
    """Wraps the ledger calls, the booking transitions, the audit entry and the notification;
    when armed with (when, what, n) the n-th call of ``what`` raises ``InjectedCrash`` before or
    after doing its work. Disarmed, every wrapper just calls through."""

    LEDGER = ("hold", "post", "void", "transfer")
    TRANSITIONS = ("approve", "reject", "cancel", "mark_no_show", "complete", "settle")

    def __init__(self, monkeypatch):
        self.armed: tuple[str, str, int] | None = None
        self.calls: Counter = Counter()
        self.fired = 0
        for name in self.LEDGER:
            monkeypatch.setattr(ledger, name, self._wrap(f"ledger.{name}", getattr(ledger, name)))
        for name in self.TRANSITIONS:
            monkeypatch.setattr(Booking, name, self._wrap(f"Booking.{name}",
                                                          getattr(Booking, name)))
        for module in (bookings, settlement):
            monkeypatch.setattr(module, "record_audit", self._wrap("audit", module.record_audit))
        monkeypatch.setattr(bookings, "_notify_booking",
                            self._wrap("notify", bookings._notify_booking))
        sa.event.listen(Session, "before_commit", self._at_commit)

    def close(self) -> None:
        sa.event.remove(Session, "before_commit", self._at_commit)

    def arm(self, point: tuple[str, str, int]) -> None:
        self.armed, self.calls = point, Counter()

    def disarm(self) -> None:
        self.armed = None

    def _hit(self, when: str, name: str) -> bool:
        return self.armed is not None and self.armed[:2] == (when, name) \
            and self.calls[name] == self.armed[2]

    def _fire(self):
        self.armed = None  # one crash per attempt
        self.fired += 1
        raise InjectedCrash

    def _wrap(self, name: str, real):
        def wrapper(*args, **kwargs):
            if self.armed is None:
                return real(*args, **kwargs)
            self.calls[name] += 1
            if self._hit("before", name):
                self._fire()
            result = real(*args, **kwargs)
            if self._hit("after", name):
                self._fire()
            return result
        return wrapper

    def _at_commit(self, session) -> None:
        if self.armed is not None:
            self.calls["commit"] += 1
            if self._hit("at", "commit"):
                self._fire()


def state() -> tuple:
    """Everything the operations may change, read from the database. Ledger entries are
    append-only (the L5 triggers), so their count, last id and sums stand for the whole table."""
    db.session.expire_all()
    rows = lambda model, *columns: tuple(map(tuple, db.session.execute(  # noqa: E731
        sa.select(*columns).order_by(model.id)).all()))
    return (
        rows(Booking, Booking.id, Booking.status, Booking.voucher_held_fen, Booking.charged_fen,
             Booking.voucher_paid_fen, Booking.self_paid_fen, Booking.settled_at),
        rows(BookingHold, BookingHold.id, BookingHold.booking_id, BookingHold.transfer_id),
        rows(Quota, Quota.id, Quota.returned_fen, Quota.expired_at),
        rows(ReimbursementBatch, ReimbursementBatch.id, ReimbursementBatch.status),
        rows(ReimbursementItem, ReimbursementItem.id, ReimbursementItem.booking_id),
        rows(LedgerAccount, LedgerAccount.id, LedgerAccount.posted_balance,
             LedgerAccount.pending_debits, LedgerAccount.pending_credits),
        rows(LedgerTransfer, LedgerTransfer.id, LedgerTransfer.kind, LedgerTransfer.status,
             LedgerTransfer.amount),
        tuple(db.session.execute(sa.select(
            sa.func.count(), sa.func.max(LedgerEntry.id), sa.func.sum(LedgerEntry.amount),
            sa.func.sum(sa.func.abs(LedgerEntry.amount)))).one()),
    )


@dataclass
class Lab:
    """The world of the test, and a supply of free one-hour slots."""

    world: object
    short: object  # a programme whose quotas expire after a day
    sme2: object
    sme2_user: object
    next_slot: int = 0

    def slot(self):
        n, self.next_slot = self.next_slot, self.next_slot + 1
        day, hour = 1 + n // 12, 8 + n % 12
        return local(day, f"{hour:02d}:00"), local(day, f"{hour + 1:02d}:00")

    def book(self, *, key: str | None = None, expiring: bool = False, slot=None) -> Booking:
        world = self.world
        start, end = slot or self.slot()
        org, user = (self.sme2, self.sme2_user) if expiring else (world.sme, world.sme_user)
        programme = self.short if expiring else world.programme
        return bookings.create_booking(world.instrument, org, user, start, end,
                                       programme=programme, purpose="L4",
                                       request_key=key or uuid.uuid4().hex, now=utcnow())


def _prepare(lab: Lab, operation: str, rng: random.Random):
    """Commit the state the operation starts from; return (run, expected end status, check of
    the second retry). ``run()`` performs the operation (it does not commit)."""
    world = lab.world
    if operation == "create":
        key, slot = uuid.uuid4().hex, lab.slot()
        return (lambda: lab.book(key=key, slot=slot)), BookingStatus.REQUESTED, key
    if operation == "reject_expired":
        quota = grant(lab.short, lab.sme2, 200_000, officer=world.officer)
        booking = lab.book(expiring=True)
        db.session.commit()
        vouchers.expire_quotas(quota.expires_at + timedelta(seconds=1))
        db.session.commit()
        assert db.session.get(Quota, quota.id).expired_at is not None
        return (lambda: bookings.reject_booking(booking, world.lab_user, "停机",
                                                booking.starts_at)), BookingStatus.REJECTED, None
    booking = lab.book()
    db.session.commit()
    if operation == "approve":
        return (lambda: bookings.approve_booking(booking, world.lab_user, utcnow())), \
            BookingStatus.APPROVED, None
    if operation == "reject":
        return (lambda: bookings.reject_booking(booking, world.lab_user, "仪器维护", utcnow())), \
            BookingStatus.REJECTED, None
    bookings.approve_booking(booking, world.lab_user, utcnow())
    db.session.commit()
    if operation == "cancel_late":
        when = booking.starts_at - timedelta(hours=2)  # inside the 24 h: half the price is due
        return (lambda: bookings.cancel_booking(booking, world.sme_user, "", when)), \
            BookingStatus.CANCELLED, None
    if operation == "no_show":
        when = booking.starts_at + timedelta(minutes=20)
        return (lambda: bookings.record_no_show(booking, world.lab_user, when)), \
            BookingStatus.NO_SHOW, None
    minutes = rng.choice([30, 45, 60, 90])
    if operation == "complete":
        when = booking.starts_at + timedelta(hours=1)
        return (lambda: bookings.complete_booking(booking, world.lab_user, minutes, "用量",
                                                  "INV-L4", when)), BookingStatus.COMPLETED, None
    assert operation == "pay_batch"
    second = lab.book()
    db.session.commit()
    bookings.approve_booking(second, world.lab_user, utcnow())
    for item in (booking, second):
        bookings.complete_booking(item, world.lab_user, minutes, "用量", "INV-L4",
                                  item.starts_at + timedelta(hours=1))
    db.session.commit()
    today = utcnow().date()
    batch = settlement.create_batch(world.programme, world.officer, today - timedelta(days=1),
                                    today + timedelta(days=40), utcnow())
    db.session.commit()
    settlement.approve_batch(batch, world.officer, utcnow())
    db.session.commit()
    return (lambda: settlement.pay_batch(batch, world.officer, "财政拨付-L4", utcnow())), \
        BatchStatus.PAID, batch.id


def _end_status(operation: str, run_result, extra):
    if operation == "pay_batch":
        return db.session.get(ReimbursementBatch, extra).status
    return run_result.status


@pytest.fixture
def lab(db):
    world = make_world(quota_fen=20_000_000, opening_hours=LONG_DAY,
                       layers=((5000, 40_000_000), (2000, 16_000_000)))
    short = make_programme(world.officer, validity_days=1, layers=((4000, 5_000_000),
                                                                   (3000, 5_000_000)))
    admit(short, world.lab, officer=world.officer)
    sme2_user = make_user()
    sme2 = make_organization(sme2_user, actual_controller="李娜")
    db.session.commit()
    return Lab(world, short, sme2, sme2_user)


def test_hundred_scripted_crashes_leave_status_and_holds_in_agreement(db, lab, request,
                                                                      monkeypatch):
    rng = random.Random(SEED)
    script = [(op, point) for op, points in POINTS.items() for point in points]
    plan = script * (CRASHES // len(script))
    plan += rng.sample(script, CRASHES - len(plan))
    rng.shuffle(plan)
    # the detector is not blind: an attempt that is not rolled back shows up in state()
    untouched = state()
    lab.book(slot=lab.slot())
    db.session.flush()
    assert state() != untouched
    db.session.rollback()
    assert state() == untouched

    faults = Faults(monkeypatch)
    figures = Counter()
    by_operation = Counter()
    problems: list[str] = []
    started = time.monotonic()
    try:
        for n, (operation, point) in enumerate(plan, 1):
            run, expected, extra = _prepare(lab, operation, rng)
            label = f"#{n} {operation} {point[0]} {point[1]} #{point[2]}"
            before = state()
            transfers_before = len(before[-2])

            faults.arm(point)
            try:
                run()
                db.session.commit()
                problems.append(f"{label}: the crash point was never reached")
            except InjectedCrash:
                figures["crashes"] += 1
                by_operation[operation] += 1
            finally:
                faults.disarm()
                db.session.rollback()

            if state() != before:
                figures["crashes_that_left_a_trace"] += 1
                problems.append(f"{label}: the rolled-back attempt changed the database")
            counts = invariant_counts(db.session)
            figures["status_hold_mismatches"] += counts["status_hold_mismatches"]
            figures["holds_without_active_booking"] += counts["holds_without_active_booking"]
            figures["active_voucher_bookings_without_holds"] += \
                counts["active_voucher_bookings_without_holds"]

            # the retry succeeds …
            try:
                result = run()
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                figures["retries_refused"] += 1
                problems.append(f"{label}: the retry was refused: {error}")
                continue
            status = _end_status(operation, result, extra)
            if status != expected:
                problems.append(f"{label}: after the retry {status}, expected {expected}")
            figures["retries_succeeded"] += 1
            booking_id = getattr(result, "id", None)

            # … exactly once: doing it again moves nothing
            after = state()
            try:
                again = run()
                db.session.commit()
                if operation != "create" or again.id != booking_id:
                    figures["second_retries_that_acted"] += 1
                    problems.append(f"{label}: a second retry was accepted")
            except DomainError:
                db.session.rollback()
            if state() != after:
                figures["second_retries_that_acted"] += 1
                problems.append(f"{label}: a second retry changed the database")
            if operation == "create" and len(after[-2]) != transfers_before + 2:
                problems.append(f"{label}: the booking made "
                                f"{len(after[-2]) - transfers_before} transfers, not 2")
            if n % 25 == 0:
                report_ = verify(db.session, ALL_CHECKS)
                figures["verify_breaks"] += len(report_.breaks)
                if not report_.ok:
                    problems.append(f"after {label}: {report_.verdict()}")
    finally:
        faults.close()
    elapsed = time.monotonic() - started

    final = verify(db.session, ALL_CHECKS)
    counts = invariant_counts(db.session)
    statuses = Counter(str(s) for s in db.session.scalars(sa.select(Booking.status)))
    zero = {name: figures[name] for name in (
        "status_hold_mismatches", "holds_without_active_booking",
        "active_voucher_bookings_without_holds", "crashes_that_left_a_trace", "retries_refused",
        "second_retries_that_acted", "verify_breaks")}
    zero["final_status_hold_mismatches"] = counts["status_hold_mismatches"]
    zero["final_verify_breaks"] = len(final.breaks)
    report(request, "L4", (
        f"L4 booking + hold atomicity ({db.engine.dialect.name}): crashes={figures['crashes']} "
        f"at {len(script)} named points ({dict(sorted(by_operation.items()))}), "
        + ", ".join(f"{k}={v}" for k, v in zero.items())
        + f", retries succeeded={figures['retries_succeeded']}, bookings by status "
        f"{dict(sorted(statuses.items()))}, ledger transfers={final.transfers}, seed={SEED}, "
        f"elapsed={elapsed:.1f}s"))
    assert not problems, problems[:10]
    assert figures["crashes"] == CRASHES == figures["retries_succeeded"]
    assert zero == dict.fromkeys(zero, 0), zero
    assert final.ok, final.verdict()


def test_a_crash_between_the_ledger_write_and_the_booking_write_leaves_neither(db, lab, request,
                                                                               monkeypatch):
    """The issue's explicit case, twice: (1) completing a booking posts its holds, then the
    booking's own change fails; (2) creating a booking writes its holds, then the hold rows
    that tie them to the booking fail. After the rollback neither the ledger write nor the
    booking write is there."""
    world = lab.world
    booking = lab.book()
    db.session.commit()
    bookings.approve_booking(booking, world.lab_user, utcnow())
    db.session.commit()
    before = state()

    def booking_write_fails(self, *args, **kwargs):
        raise InjectedCrash("the booking write failed")

    with monkeypatch.context() as patch:
        patch.setattr(Booking, "complete", booking_write_fails)
        with pytest.raises(InjectedCrash):
            bookings.complete_booking(booking, world.lab_user, 60, "用量", "INV-1",
                                      booking.starts_at + timedelta(hours=1))
        posts_in_transaction = db.session.scalar(sa.select(sa.func.count()).select_from(
            LedgerTransfer).where(LedgerTransfer.kind == TransferKind.POST))
        db.session.rollback()
    completed_after = state()
    booking = db.session.get(Booking, booking.id)
    holds = {hold.transfer.status for hold in booking.holds}

    key, slot = uuid.uuid4().hex, lab.slot()
    count_holds = lambda: db.session.scalar(sa.select(sa.func.count()).select_from(  # noqa: E731
        LedgerTransfer).where(LedgerTransfer.kind == TransferKind.PENDING))
    holds_before = count_holds()

    def hold_row_fails(*args, **kwargs):
        raise InjectedCrash("the booking's hold row failed")

    with monkeypatch.context() as patch:
        patch.setattr(bookings, "BookingHold", hold_row_fails)
        with pytest.raises(InjectedCrash):
            lab.book(key=key, slot=slot)
        holds_in_transaction = count_holds() - holds_before
        booked_in_transaction = db.session.scalar(sa.select(sa.func.count()).select_from(
            Booking).where(Booking.request_key == key))
        db.session.rollback()
    created_after = state()
    left = db.session.scalar(sa.select(sa.func.count()).select_from(Booking)
                             .where(Booking.request_key == key))
    counts = invariant_counts(db.session)
    report(request, "L4-explicit", (
        f"L4 crash between the ledger write and the booking write ({db.engine.dialect.name}): "
        f"complete — posts written before the crash={posts_in_transaction}, after the rollback "
        f"booking {booking.status}, holds {sorted(str(h) for h in holds)}, state unchanged="
        f"{completed_after == before}; create — booking row and ledger holds written before the "
        f"crash={booked_in_transaction} and {holds_in_transaction}, after the rollback bookings "
        f"left={left}, state unchanged={created_after == before}; status_hold_mismatches="
        f"{counts['status_hold_mismatches']}"))
    assert posts_in_transaction == 2  # the ledger did write (both layers) before the crash
    assert completed_after == before
    assert booking.status == BookingStatus.APPROVED and holds == {HoldStatus.PENDING}
    assert booked_in_transaction == 1 and holds_in_transaction == 1
    assert left == 0 and created_after == before
    assert counts == dict.fromkeys(counts, 0), counts
    # and the real operations still work afterwards
    bookings.complete_booking(booking, world.lab_user, 60, "用量", "INV-1",
                              booking.starts_at + timedelta(hours=1))
    db.session.commit()
    assert booking.status == BookingStatus.COMPLETED
    # recording usage again (another figure, a second lab member) is refused for the booking's
    # state, before any hold is touched — not with the ledger's "key used by another request"
    before_again = state()
    with pytest.raises(InvalidStateError, match="no longer possible"):
        bookings.complete_booking(booking, world.lab_user, 30, "再次", "INV-2",
                                  booking.starts_at + timedelta(hours=2))
    db.session.rollback()
    assert state() == before_again
    assert verify(db.session, ALL_CHECKS).ok
