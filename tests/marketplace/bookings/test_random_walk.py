"""A seeded random walk through the booking and voucher slice (issue 4: "an equivalent randomised
test of ≥1,000 operations: grant, book, approve, cancel, complete, expire, settle, ending with
`flask ledger verify` clean").

Three enterprises (one of them a related party of the second lab), two labs with two
instruments each (with and without approval, one needing training, one not taking vouchers),
two programmes (two funding layers with a per-application cap; one layer with an annual cap,
a full-payment threshold and admitting only the first lab), quotas that expire on a simulated
clock. Operations: grant quota (some over a cap or the budget), book (with and without
vouchers, some breaking a rule on purpose, some aimed at a taken slot), approve, reject,
cancel (early and late), complete (with various actual minutes, some impossible), no-show,
train, advance the clock, sweep (expire quotas, expire unanswered requests), create / invoice /
approve / pay / discard settlement batches, and retries (the same request key again; actions on
bookings in the wrong state). Every operation is passed the simulated ``now``.

A plain-Python model predicts every outcome — accepted, or refused with which error code — and
the money: each quota's available and held voucher balance per layer, every budget, receivable
and reimbursed account, and each booking's figures. Refusals must be ``DomainError``s (anything
else fails the test) and leave no trace (the tables are compared before and after). Every 100
steps the model is compared with the ledger and ``verify`` runs; at the end the real
``flask ledger verify`` command must answer OK.

``BOOKING_SEED`` and ``BOOKING_OPS`` set the seed and the length (printed).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from listings.models import Instrument
from marketplace.audit import AuditEntry
from marketplace.auth.models import User
from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking, BookingHold, Qualification
from marketplace.checks import ALL_CHECKS
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.ledger.models import LedgerAccount, LedgerEntry, LedgerTransfer
from marketplace.ledger.queries import verify
from marketplace.mail import OutboxMessage
from marketplace.organizations.models import Organization, OrganizationKind
from marketplace.settlement import operations as settlement
from marketplace.settlement.models import ReimbursementBatch, ReimbursementItem
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.models import (
    Quota,
    QuotaApplication,
    VoucherProgramme,
    accounts,
)
from tests.factories import (
    admit,
    make_instrument,
    make_officer,
    make_organization,
    make_programme,
    make_user,
)
from tests.marketplace.bookings.concurrency import (
    fast_passwords,  # noqa: F401 — fixture
    invariant_counts,
    report,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")

SEED = int(os.environ.get("BOOKING_SEED", "20261201"))
OPS = int(os.environ.get("BOOKING_OPS", "1000"))
CHECK_EVERY = 100
SHANGHAI = ZoneInfo("Asia/Shanghai")
BP = 10_000
OPEN_AT, CLOSE_AT = 8, 20  # every day, local time
HOURS = {str(d): [[f"{OPEN_AT:02d}:00", f"{CLOSE_AT:02d}:00"]] for d in range(7)}
FREE_CANCELLATION_HOURS, LATE_BP = 24, 5000

WEIGHTS = {
    "book": 30, "approve": 10, "reject": 4, "cancel": 6, "complete": 10, "no_show": 3,
    "grant": 5, "advance": 12, "sweep": 3, "retry_create": 4, "wrong_state": 4, "train": 1,
    "batch_create": 2, "batch_invoice": 2, "batch_approve": 2, "batch_pay": 2,
    "batch_discard": 0.3,
}


class Mismatch(AssertionError):
    pass


# ---------------------------------------------------------------------------------------------
# the model
@dataclass
class MInstrument:
    id: int
    lab: int
    rate: int
    approval: bool
    training: bool
    vouchers: bool
    no_show_bp: int
    min_minutes: int = 30
    max_minutes: int = 240
    step: int = 30
    horizon_days: int = 30
    lead_hours: int = 0


@dataclass
class MProgramme:
    id: int
    layers: list[tuple[int, int]]  # (layer id, share bp) in the programme's order
    budgets: dict[int, int]
    validity_days: int
    threshold: int | None
    per_application_cap: int | None
    annual_cap: int | None
    admitted: set[int]


@dataclass
class MQuota:
    id: int
    programme: int
    org: int
    amount: int
    year: int
    expires_at: datetime
    available: dict[int, int]  # layer -> posted − held
    held: dict[int, int]
    expired: bool = False
    returned: int = 0


@dataclass
class MHold:
    quota: int
    layer: int
    amount: int
    open: bool = True


@dataclass
class MBooking:
    id: int
    key: str
    instrument: int
    org: int
    user: int
    start: datetime
    end: datetime
    status: str
    rate: int
    price: int
    programme: int | None
    holds: list[MHold]
    charged: int | None = None
    voucher_paid: int = 0
    self_paid: int = 0
    invoice: str | None = None
    batch: int | None = None
    completed_at: datetime | None = None
    posted: Counter = field(default_factory=Counter)  # layer -> what its holds posted

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def held(self) -> int:
        return sum(h.amount for h in self.holds)

    @property
    def slot_holding(self) -> bool:
        return self.status not in ("rejected", "cancelled")


@dataclass
class MBatch:
    id: int
    programme: int
    items: list[int]
    missing_invoice: set[int]
    status: str = "draft"


def split_by_shares(amount: int, shares: list[int]) -> list[int]:
    """Largest-remainder split (written again here, independently of the code under test)."""
    total = sum(shares)
    if amount <= 0 or total <= 0:
        return [0] * len(shares)
    parts = [amount * s // total for s in shares]
    remainders = sorted(range(len(shares)), key=lambda i: (-(amount * shares[i] % total), i))
    for i in remainders[:amount - sum(parts)]:
        parts[i] += 1
    return parts


def local(dt: datetime) -> datetime:
    return dt.astimezone(SHANGHAI)


@dataclass
class Model:
    instruments: dict[int, MInstrument]
    programmes: dict[int, MProgramme]
    enterprises: dict[int, int]  # org -> its user
    labs: dict[int, int]  # lab org -> its user
    related: set[tuple[int, int]]  # (enterprise, lab)
    quotas: dict[int, MQuota] = field(default_factory=dict)
    bookings: dict[int, MBooking] = field(default_factory=dict)
    batches: dict[int, MBatch] = field(default_factory=dict)
    issued: Counter = field(default_factory=Counter)  # layer -> granted − returned
    granted_in_year: Counter = field(default_factory=Counter)  # (programme, org, year)
    receivable: Counter = field(default_factory=Counter)  # (lab, programme, layer) posted
    reimbursed: Counter = field(default_factory=Counter)  # (programme, layer)
    qualified: set[tuple[int, int]] = field(default_factory=set)  # (instrument, user)

    def layer_programme(self, layer: int) -> MProgramme:
        return next(p for p in self.programmes.values() if layer in dict(p.layers))

    # --- rules ---------------------------------------------------------------------------
    def slot_ok(self, inst: MInstrument, start: datetime, end: datetime, now: datetime) -> bool:
        if end <= start:
            return False
        minutes = (end - start).total_seconds() / 60
        if not inst.min_minutes <= minutes <= inst.max_minutes:
            return False
        for moment in (local(start), local(end)):
            if moment.second or moment.microsecond or (moment.hour * 60 + moment.minute) % inst.step:
                return False
        if start < now or start < now + timedelta(hours=inst.lead_hours):
            return False
        if start > now + timedelta(days=inst.horizon_days):
            return False
        day = local(start).date()
        opens = datetime(day.year, day.month, day.day, OPEN_AT, tzinfo=SHANGHAI)
        closes = datetime(day.year, day.month, day.day, CLOSE_AT, tzinfo=SHANGHAI)
        return opens <= start and end <= closes

    def clash(self, inst: int, start: datetime, end: datetime) -> bool:
        return any(b.instrument == inst and b.slot_holding and b.start < end and start < b.end
                   for b in self.bookings.values())

    def entitlement(self, programme: MProgramme, bill: int) -> dict[int, int]:
        shares = [share for _, share in programme.layers]
        if programme.threshold and bill < programme.threshold:
            covered = bill
        else:
            covered = bill * sum(shares) // BP
        parts = split_by_shares(min(covered, bill), shares)
        return {layer: part for (layer, _), part in zip(programme.layers, parts, strict=True)}

    def voucher_problem(self, programme: MProgramme, org: int, inst: MInstrument) -> bool:
        return (not inst.vouchers or inst.lab not in programme.admitted
                or (org, inst.lab) in self.related)

    def usable_quotas(self, programme: MProgramme, org: int, now: datetime) -> list[MQuota]:
        return sorted((q for q in self.quotas.values() if q.programme == programme.id
                       and q.org == org and q.expires_at > now and not q.expired),
                      key=lambda q: (q.expires_at, q.id))

    def predict_create(self, inst_id: int, org: int, user: int, start: datetime,
                       end: datetime, programme_id: int | None, now: datetime):
        """("accepted", holds) or (code, None), in the order create_booking checks."""
        inst = self.instruments[inst_id]
        if self.enterprises.get(org) != user:
            return "forbidden", None
        if not self.slot_ok(inst, start, end, now):
            return "slot_refused", None
        if inst.training and (inst_id, user) not in self.qualified:
            return "training_required", None
        if self.clash(inst_id, start, end):
            return "slot_taken", None
        if programme_id is None:
            return "accepted", []
        programme = self.programmes[programme_id]
        if self.voucher_problem(programme, org, inst):
            return "voucher_refused", None
        quotas = self.usable_quotas(programme, org, now)
        if sum(sum(q.available.values()) for q in quotas) <= 0:
            return "voucher_refused", None
        price = (inst.rate * int((end - start).total_seconds() // 60) + 30) // 60
        holds = []
        for layer, wanted in self.entitlement(programme, price).items():
            for q in quotas:
                if wanted <= 0:
                    break
                take = min(wanted, q.available.get(layer, 0))
                if take > 0:
                    holds.append(MHold(q.id, layer, take))
                    wanted -= take
        return "accepted", holds

    # --- money ---------------------------------------------------------------------------
    def hold(self, h: MHold) -> None:
        q = self.quotas[h.quota]
        q.available[h.layer] -= h.amount
        q.held[h.layer] = q.held.get(h.layer, 0) + h.amount

    def _back(self, q: MQuota, layer: int, amount: int) -> None:
        """A released part of a hold: spendable again, or to the budget if the quota expired."""
        if amount <= 0:
            return
        if q.expired:
            self.issued[layer] -= amount
            q.returned += amount
        else:
            q.available[layer] += amount

    def release(self, b: MBooking) -> None:
        for h in b.holds:
            if h.open:
                q = self.quotas[h.quota]
                q.held[h.layer] -= h.amount
                self._back(q, h.layer, h.amount)
                h.open = False

    def post(self, b: MBooking, charged: int) -> int:
        entitled = self.entitlement(self.programmes[b.programme], charged)
        total = 0
        order = sorted(range(len(b.holds)),
                       key=lambda i: (self.quotas[b.holds[i].quota].expires_at, i))
        lab = self.instruments[b.instrument].lab
        for i in order:
            h = b.holds[i]
            q = self.quotas[h.quota]
            take = min(h.amount, entitled.get(h.layer, 0))
            entitled[h.layer] = entitled.get(h.layer, 0) - take
            q.held[h.layer] -= h.amount
            self.receivable[(lab, b.programme, h.layer)] += take
            b.posted[h.layer] += take
            self._back(q, h.layer, h.amount - take)
            h.open = False
            total += take
        return total

    def expire(self, now: datetime) -> tuple[int, int]:
        due = [q for q in self.quotas.values() if q.expires_at <= now and not q.expired]
        returned = 0
        for q in due:
            for layer, left in q.available.items():
                if left > 0:
                    self.issued[layer] -= left
                    q.returned += left
                    returned += left
                    q.available[layer] = 0
            q.expired = True
        return len(due), returned


# ---------------------------------------------------------------------------------------------
# the world
@dataclass
class World:
    officer: User
    model: Model
    start: datetime


def build_world(now: datetime) -> World:
    officer = make_officer()
    instruments = {}
    lab_a_user, lab_b_user = make_user(), make_user()
    lab_a = make_organization(lab_a_user, kind=OrganizationKind.UNIVERSITY, actual_controller="长治学院")
    lab_b = make_organization(lab_b_user, kind=OrganizationKind.UNIVERSITY, actual_controller="山西大学")
    labs = {lab_a.id: lab_a_user.id, lab_b.id: lab_b_user.id}
    specs = [  # (lab, rate, approval, training, vouchers, no-show share)
        (lab_a, 60_000, True, False, True, 10_000),
        (lab_a, 36_000, False, True, True, 5_000),
        (lab_b, 90_000, True, False, True, 10_000),
        (lab_b, 30_000, False, False, False, 10_000),
    ]
    for lab, rate, approval, training, takes_vouchers, no_show in specs:
        inst = make_instrument(lab, rate_fen=rate, requires_approval=approval,
                               requires_training=training, accepts_vouchers=takes_vouchers,
                               opening_hours=HOURS, min_booking_minutes=30,
                               max_booking_minutes=240, booking_step_minutes=30,
                               booking_horizon_days=30, lead_time_hours=0,
                               free_cancellation_hours=FREE_CANCELLATION_HOURS,
                               late_cancellation_bp=LATE_BP, no_show_bp=no_show)
        instruments[inst.id] = MInstrument(inst.id, lab.id, rate, approval, training,
                                           takes_vouchers, no_show)
    enterprises, related = {}, set()
    for controller in ("王芳", "刘强", "山西大学"):  # the third is a related party of lab B
        user = make_user()
        org = make_organization(user, actual_controller=controller)
        enterprises[org.id] = user.id
        if controller == lab_b.actual_controller:
            related.add((org.id, lab_b.id))

    p1 = make_programme(officer, layers=((5000, 3_000_000), (2000, 1_200_000)), validity_days=20,
                        per_application_cap_fen=500_000, name_zh="长治市科技创新券")
    p2 = make_programme(officer, layers=((6000, 800_000),), validity_days=10,
                        full_payment_threshold_fen=20_000, annual_cap_per_enterprise_fen=600_000,
                        name_zh="潞州区创新券")
    for lab in (lab_a, lab_b):
        admit(p1, lab, officer=officer)
    admit(p2, lab_a, officer=officer)
    programmes = {}
    for programme, admitted in ((p1, {lab_a.id, lab_b.id}), (p2, {lab_a.id})):
        programmes[programme.id] = MProgramme(
            programme.id, [(layer.id, layer.share_bp) for layer in programme.layers],
            {layer.id: layer.budget_fen for layer in programme.layers}, programme.validity_days,
            programme.full_payment_threshold_fen, programme.per_application_cap_fen,
            programme.annual_cap_per_enterprise_fen, admitted)
    db.session.commit()
    return World(officer, Model(instruments, programmes, enterprises, labs, related), now)


# ---------------------------------------------------------------------------------------------
# the walk
def fingerprint() -> tuple:
    """What a refused operation must not have changed (it was rolled back)."""
    s = db.session
    count = lambda model: s.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
    grouped = lambda column: tuple(sorted(map(tuple, s.execute(  # noqa: E731
        sa.select(column, sa.func.count()).group_by(column)).all()), key=str))
    return (
        *(count(m) for m in (Booking, BookingHold, LedgerTransfer, LedgerEntry, LedgerAccount,
                             Quota, QuotaApplication, ReimbursementBatch, ReimbursementItem,
                             Qualification, AuditEntry, OutboxMessage)),
        grouped(Booking.status), grouped(LedgerTransfer.status),
        grouped(ReimbursementBatch.status),
        tuple(s.execute(sa.select(sa.func.sum(LedgerAccount.posted_balance * LedgerAccount.id),
                                  sa.func.sum(LedgerAccount.pending_debits),
                                  sa.func.sum(LedgerAccount.pending_credits))).one()),
        s.scalar(sa.select(sa.func.sum(Quota.returned_fen))),
        s.scalar(sa.select(sa.func.count()).select_from(Quota).where(Quota.expired_at.is_not(None))),
    )


class Walk:
    def __init__(self, world: World, rng: random.Random):
        self.world, self.model, self.rng = world, world.model, rng
        self.now = world.start
        self.step = 0
        self.accepted: Counter = Counter()
        self.refused: Counter = Counter()
        self.requests: list[tuple] = []  # accepted create requests, for retries
        self.checks = 0

    # --- plumbing ------------------------------------------------------------------------
    def fail(self, message: str):
        raise Mismatch(f"step {self.step} (seed {SEED}): {message}")

    def attempt(self, kind: str, predicted: str, call, on_accept=None, detail: str = ""):
        """Run one operation in its own transaction and compare with the prediction."""
        what = f"{kind} {detail}".strip()
        trace = fingerprint() if predicted != "accepted" else None
        try:
            result = call()
        except DomainError as error:
            db.session.rollback()
            if error.code != predicted:
                self.fail(f"{what}: predicted {predicted}, refused {error.code}: {error}")
            if fingerprint() != trace:
                self.fail(f"{what}: the refusal ({error.code}) left a trace")
            self.refused[error.code] += 1
            return None
        except Exception:
            db.session.rollback()
            raise
        if predicted != "accepted":
            seen = result.snapshot() if hasattr(result, "snapshot") else result
            holds = [(h.quota_id, h.layer_id, h.amount_fen) for h in getattr(result, "holds", [])]
            db.session.rollback()
            self.fail(f"{what}: predicted {predicted}, but it was accepted: {seen} {holds}")
        if on_accept is not None:
            on_accept(result)
        db.session.commit()
        self.accepted[kind] += 1
        return result

    def get(self, model, ident):
        return db.session.get(model, ident)

    def pick(self, statuses=None, where=None) -> MBooking | None:
        found = [b for b in self.model.bookings.values()
                 if (statuses is None or b.status in statuses) and (where is None or where(b))]
        return self.rng.choice(found) if found else None

    # --- operations ----------------------------------------------------------------------
    def do_grant(self):
        m, rng = self.model, self.rng
        org = rng.choice(list(m.enterprises))
        programme = m.programmes[rng.choice(list(m.programmes))]
        requested = rng.choice([50_000, 120_000, 200_000, 300_000, 450_000, 520_000])
        amount = requested if rng.random() < 0.7 else rng.randint(1, requested)
        year = local(self.now).year
        if programme.per_application_cap and requested > programme.per_application_cap:
            predicted = "cap_exceeded"
        elif programme.annual_cap and m.granted_in_year[(programme.id, org, year)] + amount > \
                programme.annual_cap:
            predicted = "cap_exceeded"
        else:
            parts = dict(zip([l for l, _ in programme.layers],
                             split_by_shares(amount, [s for _, s in programme.layers]),
                             strict=True))
            over = any(part > programme.budgets[layer] - m.issued[layer]
                       for layer, part in parts.items())
            predicted = "budget_exhausted" if over else "accepted"

        def call():
            organization = self.get(Organization, org)
            user = self.get(User, m.enterprises[org])
            application = vouchers.apply_for_quota(self.get(VoucherProgramme, programme.id),
                                                   organization, user, requested, "检测", self.now)
            return vouchers.grant_quota(application, self.world.officer, amount, None, self.now)

        def accepted(quota: Quota):
            parts = split_by_shares(amount, [s for _, s in programme.layers])
            if quota.expires_at != self.now + timedelta(days=programme.validity_days):
                self.fail(f"quota #{quota.id} expires at {quota.expires_at}")
            q = MQuota(quota.id, programme.id, org, amount, year, quota.expires_at,
                       available={}, held={})
            for (layer, _), part in zip(programme.layers, parts, strict=True):
                if part:
                    q.available[layer] = part
                    m.issued[layer] += part
            m.quotas[q.id] = q
            m.granted_in_year[(programme.id, org, year)] += amount

        self.attempt("grant", predicted, call, accepted)

    def _slot(self, inst: MInstrument) -> tuple[datetime, datetime]:
        rng = self.rng
        day = local(self.now).date() + timedelta(days=rng.randint(0, 4))
        first = rng.randrange(0, (CLOSE_AT - OPEN_AT) * 2)
        length = rng.randint(1, min(inst.max_minutes // 30, (CLOSE_AT - OPEN_AT) * 2 - first))
        start = datetime(day.year, day.month, day.day, OPEN_AT, tzinfo=SHANGHAI) + \
            timedelta(minutes=30 * first)
        return start.astimezone(UTC), (start + timedelta(minutes=30 * length)).astimezone(UTC)

    def do_book(self):
        m, rng = self.model, self.rng
        inst = m.instruments[rng.choice(list(m.instruments))]
        org = rng.choice(list(m.enterprises))
        user = m.enterprises[org]
        start, end = self._slot(inst)
        roll = rng.random()
        if roll < 0.10:  # aimed at a taken slot
            taken = self.pick(where=lambda b: b.slot_holding and b.instrument == inst.id
                              and b.start > self.now)
            if taken is not None:
                shift = timedelta(minutes=30 * rng.randint(-1, 1))
                start, end = taken.start + shift, taken.end + shift
        elif roll < 0.27:  # broken on purpose
            how = rng.choice(["before opening", "too long", "off grid", "past", "horizon",
                              "ends first", "wrong user"])
            day = local(self.now).date() + timedelta(days=2)
            at = lambda h, mi=0: datetime(day.year, day.month, day.day, h, mi,  # noqa: E731
                                          tzinfo=SHANGHAI).astimezone(UTC)
            if how == "before opening":
                start, end = at(OPEN_AT - 1), at(OPEN_AT + 1)
            elif how == "too long":
                start, end = at(OPEN_AT), at(OPEN_AT + 5)
            elif how == "off grid":
                start, end = at(10, 10), at(11, 10)
            elif how == "past":
                start, end = start - timedelta(days=6), end - timedelta(days=6)
            elif how == "horizon":
                start, end = start + timedelta(days=31), end + timedelta(days=31)
            elif how == "ends first":
                start, end = end, start
            else:
                user = m.enterprises[rng.choice([o for o in m.enterprises if o != org])]
        programme_id = rng.choices([None, *m.programmes], [3, 5, 2])[0]
        key = uuid.uuid4().hex
        predicted, holds = m.predict_create(inst.id, org, user, start, end, programme_id,
                                            self.now)
        now = self.now

        def call():
            programme = self.get(VoucherProgramme, programme_id) if programme_id else None
            return bookings.create_booking(
                self.get(Instrument, inst.id), self.get(Organization, org), self.get(User, user),
                start, end, programme=programme, purpose="随机", request_key=key, now=now)

        def accepted(booking: Booking):
            price = (inst.rate * int((end - start).total_seconds() // 60) + 30) // 60
            held = sum(h.amount for h in holds)
            status = "requested" if inst.approval else "approved"
            b = MBooking(booking.id, key, inst.id, org, user, start, end, status, inst.rate,
                         price, programme_id if held else None, holds if held else [])
            got = (str(booking.status), booking.price_fen, booking.voucher_held_fen,
                   booking.programme_id, sorted((h.quota_id, h.layer_id, h.amount_fen)
                                                for h in booking.holds))
            want = (status, price, held, b.programme,
                    sorted((h.quota, h.layer, h.amount) for h in b.holds))
            if got != want:
                self.fail(f"booking #{booking.id}: {got}, model {want}")
            for h in b.holds:
                m.hold(h)
            m.bookings[b.id] = b
            self.requests.append((key, inst.id, org, user, start, end, programme_id, b.id))

        self.attempt("book", predicted, call, accepted, detail=(
            f"instrument {inst.id} org {org} user {user} {start:%m-%d %H:%M}–{end:%H:%M} UTC, "
            f"programme {programme_id}, now {self.now:%m-%d %H:%M}, model holds {holds}, "
            f"quotas {[q for q in m.quotas.values() if q.org == org]}"))

    def do_retry_create(self):
        if not self.requests:
            return self.do_book()
        key, inst, org, user, start, end, programme_id, booking_id = self.rng.choice(self.requests)
        stranger = self.rng.random() < 0.15  # the same key from another user: refused
        if stranger:
            user = self.model.enterprises[self.rng.choice(
                [o for o in self.model.enterprises if o != org])]
        # the replay comes before every rule: even a time now past is answered with the booking
        predicted = "conflict" if stranger else "accepted"
        now = self.now

        def call():
            programme = self.get(VoucherProgramme, programme_id) if programme_id else None
            return bookings.create_booking(
                self.get(Instrument, inst), self.get(Organization, org), self.get(User, user),
                start, end, programme=programme, purpose="随机", request_key=key, now=now)

        before = fingerprint()

        def accepted(booking: Booking):
            if booking.id != booking_id:
                self.fail(f"retry of {key} answered #{booking.id}, first answer #{booking_id}")
            if fingerprint() != before:
                self.fail(f"retry of {key} changed the database")

        self.attempt("retry_create", predicted, call, accepted)

    def _lab_user(self, b: MBooking) -> int:
        return self.model.labs[self.model.instruments[b.instrument].lab]

    def do_approve(self, b: MBooking | None = None):
        b = b or self.pick(["requested"])
        if b is None:
            return self.do_book()
        wrong = self.rng.random() < 0.05
        user = b.user if wrong else self._lab_user(b)
        predicted = "forbidden" if wrong else ("accepted" if b.status == "requested"
                                               else "invalid_state")

        def accepted(_):
            b.status = "approved"

        self.attempt("approve", predicted, lambda: bookings.approve_booking(
            self.get(Booking, b.id), self.get(User, user), self.now), accepted)

    def do_reject(self, b: MBooking | None = None):
        b = b or self.pick(["requested"])
        if b is None:
            return self.do_book()
        reason = "" if self.rng.random() < 0.05 else "仪器维护"
        predicted = "invalid" if not reason else ("accepted" if b.status == "requested"
                                                  else "invalid_state")

        def accepted(_):
            b.status, b.charged = "rejected", 0
            self.model.release(b)

        self.attempt("reject", predicted, lambda: bookings.reject_booking(
            self.get(Booking, b.id), self.get(User, self._lab_user(b)), reason, self.now),
            accepted)

    def do_cancel(self, b: MBooking | None = None):
        b = b or self.pick(["requested", "approved"])
        if b is None:
            return self.do_book()
        is_open = b.status in ("requested", "approved")
        if is_open and self.now >= b.end:
            predicted = "invalid"
        elif not is_open:
            predicted = "invalid_state"
        else:
            predicted = "accepted"
        late = self.now > b.start - timedelta(hours=FREE_CANCELLATION_HOURS)
        fee = b.price * LATE_BP // BP if late and b.status == "approved" else 0

        def accepted(booking: Booking):
            b.status, b.charged, b.self_paid = "cancelled", fee, fee
            self.model.release(b)
            if booking.charged_fen != fee:
                self.fail(f"cancel of #{b.id} charged {booking.charged_fen}, model {fee}")
            self.accepted["cancel_late" if fee else "cancel_free"] += 1

        self.attempt("cancel", predicted, lambda: bookings.cancel_booking(
            self.get(Booking, b.id), self.get(User, b.user), "计划变更", self.now), accepted)

    def do_complete(self, b: MBooking | None = None, sane: bool = False):
        """Record usage: mostly of a booking that has started, with a plausible figure; some
        too early or with an impossible figure (``sane``: neither)."""
        rng = self.rng
        if b is None:
            b = self._started_or_early(rng)
        if b is None:
            return self.advance()
        minutes = rng.choice([b.minutes // 2 or 1, max(b.minutes - 30, 1), b.minutes,
                              b.minutes + 30, b.minutes * 2])
        if not sane and rng.random() < 0.1:
            minutes = rng.choice([0, b.minutes * 2 + 30])
        invoice = None if rng.random() < 0.2 else f"INV-{b.id}"
        now = max(self.now, b.start + timedelta(minutes=b.minutes)) if sane else self.now
        if now < b.start or minutes <= 0 or minutes > b.minutes * 2:
            predicted = "invalid"
        elif b.status != "approved":
            predicted = "invalid_state"
        else:
            predicted = "accepted"
        charged = min((b.rate * minutes + 30) // 60, b.price)

        def accepted(booking: Booking):
            paid = self.model.post(b, charged) if b.holds else 0
            b.status, b.charged, b.voucher_paid, b.self_paid = "completed", charged, paid, charged - paid
            b.invoice, b.completed_at = invoice, now
            got = (booking.charged_fen, booking.voucher_paid_fen, booking.self_paid_fen)
            if got != (charged, paid, charged - paid):
                self.fail(f"complete #{b.id}: {got}, model {(charged, paid, charged - paid)}")

        self.attempt("complete", predicted, lambda: bookings.complete_booking(
            self.get(Booking, b.id), self.get(User, self._lab_user(b)), minutes, "用量记录",
            invoice, now), accepted)

    def _started_or_early(self, rng) -> MBooking | None:
        """An approved booking that has started; one in ten times one that has not (too early);
        None (the caller waits) if none has started."""
        if rng.random() < 0.1:
            return self.pick(["approved"], lambda x: x.start > self.now)
        return self.pick(["approved"], lambda x: x.start <= self.now)

    def do_no_show(self, b: MBooking | None = None):
        b = b or self._started_or_early(self.rng)
        if b is None:
            return self.advance()
        if self.now < b.start:
            predicted = "invalid"
        elif b.status != "approved":
            predicted = "invalid_state"
        else:
            predicted = "accepted"
        fee = b.price * self.model.instruments[b.instrument].no_show_bp // BP

        def accepted(_):
            b.status, b.charged, b.self_paid = "no_show", fee, fee
            self.model.release(b)

        self.attempt("no_show", predicted, lambda: bookings.record_no_show(
            self.get(Booking, b.id), self.get(User, self._lab_user(b)), self.now), accepted)

    def do_wrong_state(self):
        """An action on a booking that is past it (a double click, a stale page)."""
        b = self.pick(["rejected", "cancelled", "completed", "no_show", "settled"])
        if b is None:
            return self.do_book()
        action = self.rng.choice(["approve", "reject", "cancel", "complete", "no_show"])
        if action == "complete":
            self.do_complete(b, sane=True)  # a figure that would be fine, on a booking that is not
        else:
            getattr(self, f"do_{action}")(b)

    def do_train(self):
        m = self.model
        inst = next(i for i in m.instruments.values() if i.training)
        org = self.rng.choice(list(m.enterprises))
        user = m.enterprises[org]
        email = self.get(User, user).email

        def accepted(_):
            m.qualified.add((inst.id, user))

        self.attempt("train", "accepted", lambda: bookings.grant_qualification(
            self.get(Instrument, inst.id), email, self.get(User, m.labs[inst.lab])), accepted)

    def advance(self):
        self.now += timedelta(minutes=self.rng.choice([30, 60, 120, 240, 480, 720, 1440]))
        self.accepted["advance"] += 1

    def do_sweep(self):
        m = self.model
        due = sorted((b for b in m.bookings.values()
                      if b.status == "requested" and b.start <= self.now), key=lambda b: b.id)

        def call():
            expired = vouchers.expire_quotas(self.now)
            unanswered = bookings.expire_unanswered(self.now)
            return expired, unanswered

        def accepted(result):
            expired, unanswered = result
            want = m.expire(self.now)
            if (expired["quotas"], expired["returned_fen"]) != want:
                self.fail(f"expire_quotas {expired}, model {want}")
            for b in due:
                b.status, b.charged = "rejected", 0
                m.release(b)
            if unanswered != len(due):
                self.fail(f"expire_unanswered {unanswered}, model {len(due)}")

        self.attempt("sweep", "accepted", call, accepted)

    # --- settlement ----------------------------------------------------------------------
    def _period(self) -> tuple[date, date]:
        return local(self.world.start).date() - timedelta(days=1), local(self.now).date()

    def do_batch_create(self):
        m = self.model
        programme = self.rng.choice(list(m.programmes))
        items = sorted(b.id for b in m.bookings.values()
                       if b.programme == programme and b.status == "completed"
                       and b.voucher_paid > 0 and b.batch is None)
        predicted = "accepted" if items else "nothing_to_settle"
        first, last = self._period()

        def accepted(batch: ReimbursementBatch):
            got = sorted(item.booking_id for item in batch.items)
            if got != items:
                self.fail(f"batch #{batch.id} took {got}, model {items}")
            total = sum(m.bookings[i].voucher_paid for i in items)
            if batch.total_fen != total:
                self.fail(f"batch #{batch.id} total {batch.total_fen}, model {total}")
            m.batches[batch.id] = MBatch(batch.id, programme, items,
                                         {i for i in items if not m.bookings[i].invoice})
            for i in items:
                m.bookings[i].batch = batch.id

        self.attempt("batch_create", predicted, lambda: settlement.create_batch(
            self.get(VoucherProgramme, programme), self.world.officer, first, last, self.now),
            accepted)

    def _pick_batch(self, statuses) -> MBatch | None:
        found = [b for b in self.model.batches.values() if b.status in statuses]
        return self.rng.choice(found) if found else None

    def do_batch_invoice(self):
        waiting = [b for b in self.model.batches.values()
                   if b.status == "draft" and b.missing_invoice]
        if not waiting:
            return self.do_batch_create()
        batch = self.rng.choice(waiting)

        def call():
            record = self.get(ReimbursementBatch, batch.id)
            for item in record.items:
                if item.booking_id in batch.missing_invoice:
                    settlement.set_invoice_number(item, self.world.officer,
                                                  f"INV-B{item.booking_id}")

        self.attempt("batch_invoice", "accepted", call,
                     lambda _: batch.missing_invoice.clear())

    def do_batch_approve(self):
        batch = (self._pick_batch(["draft"]) if self.rng.random() < 0.8 else None) \
            or self._pick_batch(["draft", "approved", "paid"])
        if batch is None:
            return self.do_batch_create()
        if batch.status == "draft":
            predicted = "invalid" if batch.missing_invoice else "accepted"
        else:
            predicted = "invalid_state"

        def accepted(_):
            batch.status = "approved"

        self.attempt("batch_approve", predicted, lambda: settlement.approve_batch(
            self.get(ReimbursementBatch, batch.id), self.world.officer, self.now), accepted)

    def do_batch_pay(self):
        batch = self._pick_batch(["approved"]) or self._pick_batch(["draft", "paid"])
        if batch is None:
            return self.do_batch_create()
        predicted = "accepted" if batch.status == "approved" else "invalid_state"
        m = self.model

        def accepted(_):
            batch.status = "paid"
            for i in batch.items:
                b = m.bookings[i]
                lab = m.instruments[b.instrument].lab
                for layer, amount in b.posted.items():
                    m.receivable[(lab, b.programme, layer)] -= amount
                    m.reimbursed[(b.programme, layer)] += amount
                b.status = "settled"

        self.attempt("batch_pay", predicted, lambda: settlement.pay_batch(
            self.get(ReimbursementBatch, batch.id), self.world.officer, f"拨付-{batch.id}",
            self.now), accepted)

    def do_batch_discard(self):
        batch = self._pick_batch(["draft"]) or self._pick_batch(["approved"])
        if batch is None:
            return self.do_batch_create()
        predicted = "accepted" if batch.status == "draft" else "invalid_state"

        def accepted(_):
            for i in batch.items:
                self.model.bookings[i].batch = None
            del self.model.batches[batch.id]

        self.attempt("batch_discard", predicted, lambda: settlement.discard_batch(
            self.get(ReimbursementBatch, batch.id), self.world.officer), accepted)

    # --- checking ------------------------------------------------------------------------
    def check(self):
        """The model against the ledger and the tables."""
        self.checks += 1
        m = self.model
        db.session.expire_all()
        balances = {a.code: a for a in db.session.scalars(sa.select(LedgerAccount))}

        def counters(code):
            account = balances.get(code)
            return (account.posted_balance, account.pending_debits, account.pending_credits) \
                if account else (0, 0, 0)

        per_enterprise_db, per_enterprise_model = Counter(), Counter()
        for q in m.quotas.values():
            programme = m.programmes[q.programme]
            for layer, _ in programme.layers:
                posted, debits, _credits = counters(accounts.voucher(q.org, q.id, layer))
                want = (q.available.get(layer, 0), q.held.get(layer, 0))
                if (posted - debits, debits) != want:
                    self.fail(f"quota #{q.id} layer {layer}: available/held "
                              f"{(posted - debits, debits)}, model {want}")
                per_enterprise_db[q.org] += posted - debits
                per_enterprise_model[q.org] += want[0]
            quota = self.get(Quota, q.id)
            if (quota.returned_fen, quota.expired_at is not None) != (q.returned, q.expired):
                self.fail(f"quota #{q.id}: returned/expired {(quota.returned_fen, quota.expired_at)}"
                          f", model {(q.returned, q.expired)}")
        if per_enterprise_db != per_enterprise_model:
            self.fail(f"voucher balances per enterprise {per_enterprise_db}, model "
                      f"{per_enterprise_model}")
        for programme in m.programmes.values():
            for layer, _ in programme.layers:
                posted = counters(accounts.budget(layer, programme.id))[0]
                if -posted != m.issued[layer]:
                    self.fail(f"budget of layer {layer}: issued {-posted}, model {m.issued[layer]}")
                reimbursed = counters(accounts.reimbursed(programme.id, layer))[0]
                if reimbursed != m.reimbursed[(programme.id, layer)]:
                    self.fail(f"reimbursed layer {layer}: {reimbursed}, model "
                              f"{m.reimbursed[(programme.id, layer)]}")
                for lab in m.labs:
                    posted, _debits, credits = counters(accounts.receivable(lab, programme.id, layer))
                    held = sum(h.amount for b in m.bookings.values() for h in b.holds
                               if h.open and h.layer == layer and b.programme == programme.id
                               and m.instruments[b.instrument].lab == lab)
                    want = (m.receivable[(lab, programme.id, layer)], held)
                    if (posted, credits) != want:
                        self.fail(f"receivable lab {lab} layer {layer}: {(posted, credits)}, "
                                  f"model {want}")
        rows = {row.id: row for row in db.session.execute(sa.select(
            Booking.id, Booking.status, Booking.charged_fen, Booking.voucher_held_fen,
            Booking.voucher_paid_fen, Booking.self_paid_fen)).all()}
        if set(rows) != set(m.bookings):
            self.fail(f"bookings {sorted(set(rows) ^ set(m.bookings))} differ from the model")
        for b in m.bookings.values():
            row = rows[b.id]
            got = (str(row.status), row.charged_fen, row.voucher_held_fen, row.voucher_paid_fen,
                   row.self_paid_fen)
            want = (b.status, b.charged, b.held, b.voucher_paid, b.self_paid)
            if got != want:
                self.fail(f"booking #{b.id}: {got}, model {want}")
        statuses = dict(db.session.execute(sa.select(ReimbursementBatch.id,
                                                     ReimbursementBatch.status)).all())
        if {k: str(v) for k, v in statuses.items()} != {k: b.status for k, b in m.batches.items()}:
            self.fail(f"batches {statuses}, model {m.batches}")
        counts = invariant_counts(db.session)
        if any(counts.values()):
            self.fail(f"invariants {counts}")
        report_ = verify(db.session, ALL_CHECKS)
        if not report_.ok:
            self.fail(report_.verdict())
        db.session.rollback()

    # --- driving -------------------------------------------------------------------------
    def run(self, ops: int) -> None:
        kinds, weights = zip(*WEIGHTS.items(), strict=True)
        for self.step in range(1, ops + 1):
            kind = self.rng.choices(kinds, weights)[0]
            getattr(self, "advance" if kind == "advance" else f"do_{kind}")()
            if self.step % CHECK_EVERY == 0:
                self.check()


def test_random_walk_of_booking_voucher_and_settlement_operations(app, db, request):
    rng = random.Random(SEED)
    start = utcnow().replace(second=0, microsecond=0)
    world = build_world(start)
    walk = Walk(world, rng)
    started = time.monotonic()
    walk.run(OPS)
    walk.check()
    elapsed = time.monotonic() - started

    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    model = walk.model
    balances = Counter()
    for q in model.quotas.values():
        balances[q.org] += sum(q.available.values())
    statuses = Counter(b.status for b in model.bookings.values())
    report(request, "random-walk", (
        f"booking random walk ({db.engine.dialect.name}): ops={OPS}, accepted "
        f"{dict(sorted(walk.accepted.items()))}, refused by code {dict(sorted(walk.refused.items()))}, "
        f"bookings by status {dict(sorted(statuses.items()))}, quotas={len(model.quotas)} "
        f"(expired {sum(q.expired for q in model.quotas.values())}), batches="
        f"{len(model.batches)}, simulated days={(walk.now - start).total_seconds() / 86400:.1f}, "
        f"model checks={walk.checks}, voucher balances per enterprise {dict(sorted(balances.items()))}, "
        f"flask ledger verify: {result.output.strip().splitlines()[0] if result.output else '?'} "
        f"(exit {result.exit_code}), seed={SEED}, elapsed={elapsed:.1f}s"))
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert sum(walk.accepted.values()) + sum(walk.refused.values()) >= OPS
    # the walk went everywhere it should
    for kind in ("grant", "book", "approve", "reject", "cancel_late", "cancel_free", "complete",
                 "no_show", "sweep", "retry_create", "batch_create", "batch_approve",
                 "batch_pay"):
        assert walk.accepted[kind] > 0, (kind, walk.accepted)
    for code in ("slot_refused", "slot_taken", "voucher_refused", "invalid_state",
                 "forbidden", "training_required"):
        assert walk.refused[code] > 0, (code, walk.refused)
    assert any(q.expired for q in model.quotas.values())
