"""B2 and the concurrency tests of issue 4 (RELIABILITY.md §2.4 items 2 and 3).

Worker threads each push their own application context, so each uses its own Flask-SQLAlchemy
session (and database connection), and call the real operations as a request would: one
transaction per attempt, committed on success, rolled back on a refusal.

(a) 20 threads book the same slot: exactly one booking, the others refused (pre-check or the
    database guard), no hold left by a refused booking;
(b) 8 threads × 40 attempts on random slots of one instrument, some on a second instrument:
    0 overlapping pairs in the table;
(c) 20 threads spend one voucher balance worth exactly 5 bookings: 5 succeed with vouchers, the
    balance is never negative, the others are refused "no voucher quota left";
(d) the same confirmation sent 10 times at once with one request key: one booking, one set of
    holds, every sender answered with that booking.

After each: ``verify(session, ALL_CHECKS)`` is clean and holds without an active booking = 0,
active voucher bookings without their holds = 0. ``BOOKING_SEED`` sets the seed of (b).
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session

from listings.models import Instrument
from marketplace.auth.models import User
from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking, BookingHold
from marketplace.checks import ALL_CHECKS
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.ledger.models import LedgerAccount, LedgerTransfer, TransferKind
from marketplace.ledger.queries import verify
from marketplace.organizations.models import Organization
from marketplace.vouchers.models import VoucherProgramme, accounts
from marketplace.vouchers.operations import VoucherError
from tests.factories import grant, make_instrument, make_organization, make_user
from tests.marketplace.bookings.concurrency import (
    fast_passwords,  # noqa: F401 — fixture
    figures_text,
    invariant_counts,
    refused_by_database,
    report,
    run_in_threads,
)
from tests.marketplace.bookings.helpers import local, make_world

pytestmark = pytest.mark.usefixtures("fast_passwords")

SEED = int(os.environ.get("BOOKING_SEED", "20261201"))
THREADS, ATTEMPTS = 8, 40  # B2's CI size
LONG_DAY = {str(d): [["08:00", "20:00"]] for d in range(7)}  # one opening period, 12 hours
SHARE_OF_ONE_HOUR = 42_000  # ¥600 an hour, vouchers pay 50 % + 20 %


@dataclass(frozen=True)
class Ids:
    instrument: int
    control: int
    sme: int
    user: int
    programme: int
    quota: int
    layers: tuple[int, ...]
    lab_user: int
    officer: int


def _world(quota_fen: int) -> Ids:
    world = make_world(quota_fen=quota_fen, opening_hours=LONG_DAY)
    control = make_instrument(world.lab, opening_hours=LONG_DAY)
    db.session.commit()
    ids = Ids(world.instrument.id, control.id, world.sme.id, world.sme_user.id, world.programme.id,
              world.quota.id, tuple(layer.id for layer in world.programme.layers),
              world.lab_user.id, world.officer.id)
    db.session.close()  # the main thread holds no connection while the workers run
    return ids


def _attempt(ids: Ids, instrument_id: int, start: datetime, end: datetime, *, voucher: bool,
             now: datetime, key: str | None = None) -> tuple[str, object]:
    """One booking request in this thread's own session: ("accepted", booking id) or a refusal
    ("precheck" / "database" for a taken slot, "voucher" with the message, or the error code).
    Anything that is not a ``DomainError`` propagates and fails the test. Messages in English
    (the conftest's ``force_locale`` covers the main thread only)."""
    with force_locale("en"):
        return _attempt_in_english(ids, instrument_id, start, end, voucher=voucher, now=now,
                                   key=key)


def _attempt_in_english(ids: Ids, instrument_id: int, start: datetime, end: datetime, *,
                        voucher: bool, now: datetime, key: str | None) -> tuple[str, object]:
    session = db.session
    instrument = session.get(Instrument, instrument_id)
    organization, user = session.get(Organization, ids.sme), session.get(User, ids.user)
    programme = session.get(VoucherProgramme, ids.programme) if voucher else None
    try:
        booking = bookings.create_booking(instrument, organization, user, start, end,
                                          programme=programme, purpose="race",
                                          request_key=key or uuid.uuid4().hex, now=now)
        booking_id = booking.id
        session.commit()
        return "accepted", booking_id
    except bookings.SlotTakenError as error:
        session.rollback()
        return ("database" if refused_by_database(error) else "precheck"), None
    except VoucherError as error:
        session.rollback()
        return "voucher", str(error)
    except DomainError as error:
        session.rollback()
        return error.code, str(error)
    except BaseException:
        session.rollback()
        raise


def _errors(outcomes) -> list[str]:
    return [f"thread {o.index}: {o.error!r}" for o in outcomes if o.error is not None]


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _check_afterwards() -> dict[str, int]:
    db.session.expire_all()
    report_ = verify(db.session, ALL_CHECKS)
    counts = invariant_counts(db.session)
    counts["verify_breaks"] = len(report_.breaks)
    assert report_.ok, report_.verdict()
    return counts


def test_twenty_threads_book_the_same_slot_exactly_one_wins(app, db, request):
    ids = _world(quota_fen=1_000_000)
    start, end, now = local(2, "10:00"), local(2, "11:00"), utcnow()
    started = time.monotonic()
    outcomes = run_in_threads(app, 20, lambda i: _attempt(ids, ids.instrument, start, end,
                                                          voucher=True, now=now))
    elapsed = time.monotonic() - started
    assert not _errors(outcomes), _errors(outcomes)
    results = Counter(o.value[0] for o in outcomes)
    counts = _check_afterwards()
    holds = _count(BookingHold)
    pending = _count(LedgerTransfer, LedgerTransfer.kind == TransferKind.PENDING)
    other = sum(n for outcome, n in results.items()
                if outcome not in ("accepted", "precheck", "database"))
    report(request, "B2a", (
        f"B2a same slot ({db.engine.dialect.name}): threads=20, accepted={results['accepted']}, "
        f"refused by pre-check={results['precheck']}, refused by the database="
        f"{results['database']}, other={other}, "
        f"bookings={_count(Booking)}, holds={holds}, ledger holds={pending}, "
        f"{figures_text(counts)}, elapsed={elapsed:.2f}s"))
    assert results["accepted"] == 1, results
    assert results["precheck"] + results["database"] == 19, results
    assert _count(Booking) == 1
    # the winner holds one hold per funding layer; the 19 refused left none
    assert holds == pending == len(ids.layers)
    assert counts == dict.fromkeys(counts, 0), counts


def _random_slot(rng: random.Random) -> tuple[int, str, str]:
    """A slot on the 30-minute grid of days 1–2, 30 minutes to 2 hours, inside 08:00–20:00."""
    start = rng.randrange(0, 24)  # half hours after 08:00
    length = rng.randint(1, min(4, 24 - start))
    clock = lambda half: f"{8 + half // 2:02d}:{30 * (half % 2):02d}"  # noqa: E731
    return rng.randint(1, 2), clock(start), clock(start + length)


def test_racing_random_slots_never_overlap(app, db, request):
    """B2: THREADS × ATTEMPTS random bookings, 10 % on a control instrument, 30 % with vouchers."""
    ids = _world(quota_fen=5_000_000)
    now = utcnow()

    def worker(index: int) -> Counter:
        rng = random.Random(f"{SEED}:{index}")
        seen = Counter()
        for _ in range(ATTEMPTS):
            day, first, last = _random_slot(rng)
            instrument = ids.control if rng.random() < 0.10 else ids.instrument
            outcome, _value = _attempt(ids, instrument, local(day, first, now), local(day, last, now),
                                       voucher=rng.random() < 0.30, now=now)
            seen[outcome] += 1
            seen[f"{outcome}:{'control' if instrument == ids.control else 'main'}"] += 1
        return seen

    started = time.monotonic()
    outcomes = run_in_threads(app, THREADS, worker, timeout=300)
    elapsed = time.monotonic() - started
    assert not _errors(outcomes), _errors(outcomes)
    seen = sum((o.value for o in outcomes), Counter())
    counts = _check_afterwards()
    attempts = THREADS * ATTEMPTS
    other = {k: v for k, v in seen.items()
             if ":" not in k and k not in ("accepted", "precheck", "database")}
    report(request, "B2b", (
        f"B2b racing bookings ({db.engine.dialect.name}): threads={THREADS}, attempts={attempts}, "
        f"accepted={seen['accepted']} (control instrument {seen['accepted:control']}), "
        f"refused by pre-check={seen['precheck']}, refused by the database (23P01/trigger)="
        f"{seen['database']}, other refusals={other}, bookings with vouchers="
        f"{_count(Booking, Booking.voucher_held_fen > 0)}, {figures_text(counts)}, "
        f"elapsed={elapsed:.1f}s, seed={SEED}"))
    assert seen["accepted"] + seen["precheck"] + seen["database"] == attempts, seen
    assert seen["accepted"] == _count(Booking)
    assert seen["accepted:control"] > 0 and seen["accepted:main"] > 0
    assert seen["precheck"] + seen["database"] > 0  # the slots really collided
    assert counts == dict.fromkeys(counts, 0), counts


def _lab_already_has_a_receivable(ids: Ids, now: datetime) -> int:
    """Another enterprise's voucher booking of the same instrument, completed: the lab's
    receivable accounts now hold posted voucher money (which is not the spender's balance)."""
    other_user = make_user()
    other = make_organization(other_user, actual_controller="赵敏")
    programme = db.session.get(VoucherProgramme, ids.programme)
    grant(programme, other, 500_000, officer=db.session.get(User, ids.officer), now=now)
    booking = bookings.create_booking(
        db.session.get(Instrument, ids.instrument), other, other_user, local(5, "09:00", now),
        local(5, "10:00", now), programme=programme, purpose="先前", request_key=uuid.uuid4().hex,
        now=now)
    lab_user = db.session.get(User, ids.lab_user)
    bookings.approve_booking(booking, lab_user, now)
    bookings.complete_booking(booking, lab_user, 60, "", "INV-0", booking.ends_at)
    db.session.commit()
    paid = booking.voucher_paid_fen
    db.session.close()
    return paid


def test_twenty_threads_spend_a_balance_worth_five_bookings(app, db, request):
    ids = _world(quota_fen=5 * SHARE_OF_ONE_HOUR)
    codes = [accounts.voucher(ids.sme, ids.quota, layer_id) for layer_id in ids.layers]
    now = utcnow()
    receivable = _lab_already_has_a_receivable(ids, now)
    slots = [(1 + i // 10, f"{8 + i % 10:02d}:00", f"{9 + i % 10:02d}:00") for i in range(20)]

    stop, lowest = threading.Event(), {"available": None, "samples": 0, "crashed": None}
    # its own engine with one connection: the workers must not keep it waiting for the pool
    engine = sa.create_engine(db.engine.url, pool_size=1, max_overflow=0)

    def watch() -> None:  # reads the committed balance while the threads spend it
        try:
            _watch()
        except BaseException as error:  # noqa: BLE001 — reported by the test
            lowest["crashed"] = error

    def _watch() -> None:
        with Session(engine) as session:
            while not stop.is_set():
                row = session.execute(sa.select(
                    sa.func.min(LedgerAccount.posted_balance - LedgerAccount.pending_debits),
                    sa.func.sum(LedgerAccount.posted_balance - LedgerAccount.pending_debits))
                    .where(LedgerAccount.code.in_(codes))).one()
                session.rollback()
                low = min(row)
                if lowest["available"] is None or low < lowest["available"]:
                    lowest["available"] = low
                lowest["samples"] += 1
                stop.wait(0.002)

    watcher = threading.Thread(target=watch, name="balance-watcher")
    watcher.start()
    started = time.monotonic()
    try:
        outcomes = run_in_threads(app, 20, lambda i: _attempt(
            ids, ids.instrument, local(slots[i][0], slots[i][1], now),
            local(slots[i][0], slots[i][2], now), voucher=True, now=now))
    finally:
        elapsed = time.monotonic() - started
        stop.set()
        watcher.join(timeout=30)
        engine.dispose()
    assert not _errors(outcomes), _errors(outcomes)
    results = Counter(o.value[0] for o in outcomes)
    messages = Counter(o.value[1] for o in outcomes if o.value[0] == "voucher")
    counts = _check_afterwards()
    held = db.session.execute(sa.select(
        sa.func.sum(LedgerAccount.posted_balance - LedgerAccount.pending_debits),
        sa.func.sum(LedgerAccount.pending_debits)).where(LedgerAccount.code.in_(codes))).one()
    paid_by_voucher = _count(Booking, Booking.organization_id == ids.sme,
                             Booking.voucher_held_fen == SHARE_OF_ONE_HOUR)
    report(request, "B2c", (
        f"B2c one voucher balance ({db.engine.dialect.name}): threads=20, quota=5 bookings "
        f"({5 * SHARE_OF_ONE_HOUR} fen; the lab already holds a {receivable} fen receivable), "
        f"accepted={results['accepted']} (with vouchers "
        f"{paid_by_voucher}), refused 'no voucher quota left'={results['voucher']}, "
        f"other={sum(results.values()) - results['accepted'] - results['voucher']}, "
        f"lowest balance seen={lowest['available']} over {lowest['samples']} samples, "
        f"final available={held[0]}, held={held[1]}, {figures_text(counts)}, "
        f"elapsed={elapsed:.2f}s"))
    assert results["accepted"] == 5 and paid_by_voucher == 5, (results, paid_by_voucher)
    assert results["voucher"] == 15, results
    assert all("no voucher quota left" in message for message in messages), messages
    assert lowest["crashed"] is None, repr(lowest["crashed"])
    assert lowest["samples"] > 0 and lowest["available"] >= 0
    assert tuple(held) == (0, 5 * SHARE_OF_ONE_HOUR)
    assert _count(Booking, Booking.organization_id == ids.sme) == 5
    assert _count(BookingHold) == 6 * len(ids.layers)
    assert counts == dict.fromkeys(counts, 0), counts


def test_the_same_confirmation_ten_times_at_once_books_once(app, db, request, monkeypatch):
    ids = _world(quota_fen=1_000_000)
    key, now = uuid.uuid4().hex, utcnow()
    # which way each retry found the first booking: the look-up before the insert, or the
    # database refusing the duplicate key (the replay then runs inside the except block)
    paths, real_replay, paths_lock = Counter(), bookings._replay, threading.Lock()

    def counting_replay(existing, user):
        with paths_lock:
            paths["after_db_refusal" if sys.exc_info()[1] is not None else "lookup"] += 1
        return real_replay(existing, user)

    monkeypatch.setattr(bookings, "_replay", counting_replay)
    start, end = local(3, "14:00", now), local(3, "16:00", now)
    started = time.monotonic()
    outcomes = run_in_threads(app, 10, lambda i: _attempt(ids, ids.instrument, start, end,
                                                          voucher=True, now=now, key=key))
    elapsed = time.monotonic() - started
    assert not _errors(outcomes), _errors(outcomes)
    answers = Counter(o.value for o in outcomes)
    counts = _check_afterwards()
    holds = _count(BookingHold)
    pending = _count(LedgerTransfer, LedgerTransfer.kind == TransferKind.PENDING)
    shown = {(f"{outcome} #{value}" if outcome == "accepted" else outcome): n
             for (outcome, value), n in answers.items()}
    report(request, "B2d", (
        f"B2d one request key sent 10 times at once ({db.engine.dialect.name}): answers={shown}, "
        f"replayed by the look-up={paths['lookup']}, replayed after the database refused the "
        f"duplicate key={paths['after_db_refusal']}, bookings={_count(Booking)}, holds={holds}, "
        f"ledger holds={pending}, {figures_text(counts)}, elapsed={elapsed:.2f}s"))
    assert _count(Booking) == 1
    booking_id = db.session.scalar(sa.select(Booking.id))
    # every sender gets the one booking back, none is told the slot is taken
    assert answers == {("accepted", booking_id): 10}, answers
    assert holds == pending == len(ids.layers)
    assert counts == dict.fromkeys(counts, 0), counts
    assert db.session.get(Booking, booking_id).starts_at == start
