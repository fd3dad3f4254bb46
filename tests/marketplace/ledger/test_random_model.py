"""L2: a seeded random walk of ledger operations against a plain-Python model that predicts every
outcome — accepted, replayed, or refused with which code. Afterwards ``verify`` must be clean and
every account's counters must equal the model's.

``LEDGER_SEED`` and ``LEDGER_OPS`` override the seed and the length (e.g. a longer nightly run).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from marketplace.ledger import operations as ops
from marketplace.ledger import queries
from marketplace.ledger.errors import ALL_CODES, LedgerError
from marketplace.ledger.models import LedgerAccount

SEED = int(os.environ.get("LEDGER_SEED", "20261126"))
OPS = int(os.environ.get("LEDGER_OPS", "1200"))
COMMIT_EVERY = 50
UNKNOWN_ID = 10**9

VOUCHER, CNY = "VOUCHER", "CNY"
INITIAL_ACCOUNTS = [
    ("programme:1:layer:1:budget", VOUCHER, "budget", True),
    ("programme:1:layer:2:budget", VOUCHER, "budget", True),
    *[(f"enterprise:{n}:voucher:programme:1", VOUCHER, "voucher", False) for n in range(1, 6)],
    *[(f"provider:{n}:receivable", VOUCHER, "receivable", False) for n in range(1, 4)],
    ("provider:1:reimbursed", VOUCHER, "reimbursed", False),
    ("programme:1:expired", VOUCHER, "expired", False),
    ("clearing:stripe", CNY, "clearing", True),
    *[(f"test:escrow:{n}", CNY, "escrow", False) for n in range(1, 3)],
    ("maker:1:payable", CNY, "payable", False),
]


# ---------------------------------------------------------------------------------------------
# the model
@dataclass
class Account:
    asset: str
    kind: str
    allow_negative: bool
    posted: int = 0
    debits: int = 0
    credits: int = 0

    @property
    def available(self) -> int:
        return self.posted - self.debits


@dataclass
class Transfer:
    kind: str
    amount: int
    legs: list[tuple[str, int]] = field(default_factory=list)
    status: str | None = None
    reversed: bool = False


def identity(request: tuple) -> tuple:
    """What the fingerprint covers: the request without its key, legs in a canonical order."""
    op, _key, *fields = request
    if op == "transfer":
        fields[0] = tuple(sorted(fields[0]))
    return (op, *fields)


class Model:
    def __init__(self):
        self.accounts: dict[str, Account] = {}
        self.transfers: dict[int, Transfer] = {}
        self.keys: dict[str, tuple[tuple, int]] = {}

    def predict(self, request: tuple) -> tuple[str, object]:
        op, key = request[0], request[1]
        if op == "open":
            return "open", None
        if key in self.keys:
            first, transfer_id = self.keys[key]
            if first == identity(request):
                return "replay", transfer_id
            return "reject", "idempotency_conflict"
        code = getattr(self, f"_check_{op}")(*request[2:])
        return ("reject", code) if code else ("accept", None)

    def _funds(self, legs) -> str | None:
        for code, amount in legs:
            account = self.accounts[code]
            if amount < 0 and not account.allow_negative and account.available + amount < 0:
                return "insufficient_funds"
        return None

    def _check_transfer(self, legs, memo):
        codes = [code for code, _ in legs]
        if any(amount == 0 for _, amount in legs):
            return "zero_or_negative_amount"
        if len(legs) < 2:
            return "unbalanced"
        if any(code not in self.accounts for code in codes):
            return "unknown_account"
        if len(set(codes)) < len(codes):
            return "same_account"
        if len({self.accounts[code].asset for code in codes}) > 1:
            return "mixed_assets"
        if sum(amount for _, amount in legs) != 0:
            return "unbalanced"
        return self._funds(legs)

    def _check_hold(self, debit, credit, amount, memo, reference):
        if amount <= 0:
            return "zero_or_negative_amount"
        if debit not in self.accounts or credit not in self.accounts:
            return "unknown_account"
        if debit == credit:
            return "same_account"
        if self.accounts[debit].asset != self.accounts[credit].asset:
            return "mixed_assets"
        return self._funds([(debit, -amount)])

    def _resolution(self, hold_id):
        hold = self.transfers.get(hold_id)
        if hold is None:
            return "unknown_hold"
        if hold.kind != "pending":
            return "not_a_hold"
        if hold.status != "pending":
            return "hold_already_resolved"
        return None

    def _check_post(self, hold_id, amount):
        if amount is not None and amount <= 0:
            return "zero_or_negative_amount"
        if code := self._resolution(hold_id):
            return code
        if amount is not None and amount > self.transfers[hold_id].amount:
            return "post_exceeds_hold"
        return None

    def _check_void(self, hold_id):
        return self._resolution(hold_id)

    def _check_reverse(self, transfer_id, memo):
        original = self.transfers.get(transfer_id)
        if original is None:
            return "unknown_transfer"
        if original.kind not in ("single", "post"):
            return "not_reversible"
        if original.reversed:
            return "already_reversed"
        return self._funds([(code, -amount) for code, amount in original.legs])

    def apply(self, request: tuple, transfer_id: int | None) -> None:
        op = request[0]
        if op == "open":
            _, code, asset, kind, allow_negative = request
            self.accounts.setdefault(code, Account(asset, kind, allow_negative))
            return
        if op == "transfer":
            legs = list(request[2])
            made = Transfer("single", sum(a for _, a in legs if a > 0), legs)
            self._post_legs(legs)
        elif op == "hold":
            _, _, debit, credit, amount, _, _ = request
            made = Transfer("pending", amount, [(debit, -amount), (credit, amount)], "pending")
            self.accounts[debit].debits += amount
            self.accounts[credit].credits += amount
        elif op in ("post", "void"):
            hold = self.transfers[request[2]]
            (debit, _), (credit, _) = hold.legs
            self.accounts[debit].debits -= hold.amount
            self.accounts[credit].credits -= hold.amount
            if op == "post":
                posted = hold.amount if request[3] is None else request[3]
                made = Transfer("post", posted, [(debit, -posted), (credit, posted)])
                self._post_legs(made.legs)
                hold.status = "posted"
            else:
                made = Transfer("void", hold.amount)
                hold.status = "voided"
        else:  # reverse
            original = self.transfers[request[2]]
            original.reversed = True
            made = Transfer("reversal", original.amount, [(c, -a) for c, a in original.legs])
            self._post_legs(made.legs)
        self.transfers[transfer_id] = made
        self.keys[request[1]] = (identity(request), transfer_id)

    def _post_legs(self, legs) -> None:
        for code, amount in legs:
            self.accounts[code].posted += amount


# ---------------------------------------------------------------------------------------------
# the random requests, each with a small chance of a deliberate mistake
class Generator:
    def __init__(self, rng: random.Random, model: Model):
        self.rng, self.model = rng, model
        self.counter = 0
        self.accepted: list[tuple] = []  # requests that produced a transfer (to replay)
        self.free_keys: list[str] = []  # keys of refused requests: still unused

    def key(self) -> str:
        if self.free_keys and self.rng.random() < 0.05:
            return self.free_keys.pop(self.rng.randrange(len(self.free_keys)))
        self.counter += 1
        return f"k{self.counter}"

    def codes(self, asset=None, kinds=None) -> list[str]:
        return [code for code, account in self.model.accounts.items()
                if (asset is None or account.asset == asset)
                and (kinds is None or account.kind in kinds)]

    def memo(self) -> str:
        return self.rng.choice(["issue vouchers", "booking", "reimburse", "pledge", "correction"])

    def next(self) -> tuple:
        rng = self.rng
        op = rng.choices(["transfer", "hold", "post", "void", "reverse", "replay", "conflict",
                          "open"], weights=[26, 20, 15, 8, 9, 8, 6, 2])[0]
        if op == "replay" and self.accepted:
            request = rng.choice(self.accepted)
            if request[0] == "transfer":  # the same legs in another order are the same request
                legs = list(request[2])
                rng.shuffle(legs)
                request = (request[0], request[1], tuple(legs), *request[3:])
            return request
        if op == "conflict" and self.accepted:
            used = rng.choice(self.accepted)[1]
            fresh = self.fresh(rng.choice(["transfer", "hold", "post", "void", "reverse"]))
            return (fresh[0], used, *fresh[2:])
        if op == "open":
            n = len(self.model.accounts) + 1
            kind, asset = rng.choice([("voucher", VOUCHER), ("receivable", VOUCHER),
                                      ("escrow", CNY)])
            return ("open", f"extra:{n}:{kind}", asset, kind, False)
        return self.fresh(op if op not in ("replay", "conflict") else "transfer")

    def fresh(self, op: str) -> tuple:
        return getattr(self, f"_{op}")()

    def _transfer(self) -> tuple:
        rng = self.rng
        asset = rng.choice([VOUCHER, VOUCHER, CNY])
        n = rng.choice([2, 2, 2, 3])
        if rng.random() < 0.4:  # funding from a source that may go negative
            sources = self.codes(asset, {"budget", "clearing"})
            sinks = self.codes(asset, {"voucher", "escrow"})
            chosen = [rng.choice(sources), *rng.sample(sinks, min(n - 1, len(sinks)))]
            amounts = [rng.randint(1, 2000) for _ in chosen[1:]]
            legs = [(chosen[0], -sum(amounts)), *zip(chosen[1:], amounts, strict=True)]
        else:
            chosen = rng.sample(self.codes(asset), n)
            amounts = [-rng.randint(1, 400) for _ in chosen[:-1]]
            legs = [*zip(chosen[:-1], amounts, strict=True), (chosen[-1], -sum(amounts))]
        mistake = rng.random()
        if mistake < 0.03:
            legs[0] = ("nobody:0:voucher", legs[0][1])
        elif mistake < 0.06:
            legs[-1] = (legs[-1][0], 0)
        elif mistake < 0.10:
            legs[-1] = (legs[-1][0], legs[-1][1] + rng.choice([-1, 1, 7]))
        elif mistake < 0.13:
            legs[-1] = (legs[0][0], legs[-1][1])
        elif mistake < 0.16:
            other = CNY if asset == VOUCHER else VOUCHER
            legs[-1] = (rng.choice(self.codes(other)), legs[-1][1])
        elif mistake < 0.18:
            legs = legs[:1]
        rng.shuffle(legs)
        return ("transfer", self.key(), tuple(legs), self.memo())

    def _hold(self) -> tuple:
        rng = self.rng
        debit = rng.choice(self.codes(VOUCHER, {"voucher"}))
        credit = rng.choice(self.codes(VOUCHER, {"receivable"}))
        amount = rng.randint(1, 600)
        mistake = rng.random()
        if mistake < 0.04:
            amount = rng.choice([0, -1, -amount])
        elif mistake < 0.07:
            credit = debit
        elif mistake < 0.10:
            credit = "provider:404:receivable"
        elif mistake < 0.13:
            credit = rng.choice(self.codes(CNY))
        reference = ("booking", rng.randint(1, 50)) if rng.random() < 0.5 else None
        return ("hold", self.key(), debit, credit, amount, "booking", reference)

    def _target_hold(self) -> int:
        rng = self.rng
        transfers = self.model.transfers
        open_holds = [i for i, t in transfers.items() if t.kind == "pending" and t.status == "pending"]
        roll = rng.random()
        if open_holds and roll < 0.70:
            return rng.choice(open_holds)
        if roll < 0.80:
            return UNKNOWN_ID + rng.randint(0, 99)
        if transfers:
            return rng.choice(list(transfers))
        return UNKNOWN_ID

    def _post(self) -> tuple:
        rng = self.rng
        hold_id = self._target_hold()
        held = self.model.transfers[hold_id].amount if hold_id in self.model.transfers else 100
        roll = rng.random()
        if roll < 0.3:
            amount = None
        elif roll < 0.85:
            amount = rng.randint(1, held)
        elif roll < 0.93:
            amount = held + rng.randint(1, 50)
        else:
            amount = rng.choice([0, -5])
        return ("post", self.key(), hold_id, amount)

    def _void(self) -> tuple:
        return ("void", self.key(), self._target_hold())

    def _reverse(self) -> tuple:
        rng = self.rng
        transfers = self.model.transfers
        candidates = [i for i, t in transfers.items()
                      if t.kind in ("single", "post") and not t.reversed]
        reversed_ = [i for i, t in transfers.items() if t.reversed]
        roll = rng.random()
        if candidates and roll < 0.65:
            target = rng.choice(candidates)
        elif reversed_ and roll < 0.75:
            target = rng.choice(reversed_)
        elif roll < 0.82:
            target = UNKNOWN_ID + rng.randint(0, 99)
        elif transfers:
            target = rng.choice(list(transfers))
        else:
            target = UNKNOWN_ID
        return ("reverse", self.key(), target, self.memo())


# ---------------------------------------------------------------------------------------------
def execute(session, request: tuple) -> tuple[str, object]:
    op, key, *fields = request
    try:
        if op == "open":
            ops.open_account(session, key, *fields)
            return "open", None
        if op == "transfer":
            legs, memo = fields
            result = ops.transfer(session, key, list(legs), memo)
        elif op == "hold":
            debit, credit, amount, memo, reference = fields
            result = ops.hold(session, key, debit, credit, amount, memo, reference=reference)
        elif op == "post":
            result = ops.post(session, key, fields[0], amount=fields[1])
        elif op == "void":
            result = ops.void(session, key, fields[0])
        else:
            result = ops.reverse(session, key, fields[0], fields[1])
    except LedgerError as error:
        return "reject", error.code
    return ("replay" if result.replayed else "accept"), result.transfer.id


def _model_counters(model: Model) -> dict[str, tuple[int, int, int]]:
    return {code: (a.posted, a.debits, a.credits) for code, a in model.accounts.items()}


def _db_counters(session) -> dict[str, tuple[int, int, int]]:
    rows = session.execute(sa.select(LedgerAccount.code, LedgerAccount.posted_balance,
                                     LedgerAccount.pending_debits, LedgerAccount.pending_credits))
    return {code: (posted, debits, credits) for code, posted, debits, credits in rows}


def test_random_operations_match_the_model(session, figures):
    rng = random.Random(SEED)
    model = Model()
    generator = Generator(rng, model)
    outcomes: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    started = time.monotonic()

    for code, asset, kind, allow_negative in INITIAL_ACCOUNTS:
        request = ("open", code, asset, kind, allow_negative)
        execute(session, request)
        model.apply(request, None)
    session.commit()

    for step in range(1, OPS + 1):
        request = generator.next()
        predicted = model.predict(request)
        actual = execute(session, request)
        if predicted[0] == "accept":
            assert actual[0] == "accept", f"step {step}: {request} predicted accept, got {actual}"
        else:
            assert actual == predicted, f"step {step}: {request} predicted {predicted}, got {actual}"
        outcomes[actual[0]] += 1
        if actual[0] == "reject":
            rejected[actual[1]] += 1
            if request[0] != "open" and request[1] not in model.keys:
                generator.free_keys.append(request[1])
        if actual[0] in ("accept", "open"):
            model.apply(request, actual[1])
            if actual[0] == "accept":
                generator.accepted.append(request)
        if step % COMMIT_EVERY == 0:
            session.commit()
            if step % (COMMIT_EVERY * 5) == 0:
                assert _db_counters(session) == _model_counters(model), f"after step {step}"
    session.commit()
    elapsed = time.monotonic() - started

    report = queries.verify(session)
    figures["L2"] = (
        f"L2 ledger random model: seed={SEED}, ops={OPS}, accepted={outcomes['accept']}, "
        f"replayed={outcomes['replay']}, open requests={outcomes['open']}, "
        f"rejected by code {dict(sorted(rejected.items()))}, transfers={report.transfers}, "
        f"verify breaks={len(report.breaks)}, {elapsed:.1f}s")
    print(figures["L2"])
    assert report.ok, report.verdict()
    assert _db_counters(session) == _model_counters(model)
    assert report.transfers == len(model.transfers)
    assert set(rejected) == set(ALL_CODES), f"codes never produced: {set(ALL_CODES) - set(rejected)}"
