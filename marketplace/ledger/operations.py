"""Ledger operations: open accounts, move, hold, post, void and reverse amounts.

Each takes the SQLAlchemy ``Session`` first, writes inside a SAVEPOINT, ``flush()``es and never
commits: the caller's transaction decides. A refused request raises a ``ledger.errors`` subclass
(``code`` names the rule) and writes nothing.

Invariants kept here (see the package docstring for the full list):

* a transfer's entries sum to zero, in one asset, with no zero amount and no account twice;
* an account without ``allow_negative`` never has ``posted_balance − pending_debits < 0``;
* a hold is posted (at most its amount; the rest is released) or voided once; a transfer is
  reversed once; only single and post transfers (the ones with posted entries) can be reversed;
* an idempotency key is used by one request: the same request again returns the first transfer
  (``replayed=True``) and moves nothing; a different request under it is refused. "Same request"
  means the same fields as given (``post(h)`` and ``post(h, amount=h.amount)`` differ).

Order of work, so that concurrent requests neither deadlock nor double-spend (RELIABILITY §1.7):
look the key up → validate → lock the hold (post/void/reverse) → lock the accounts, sorted by id,
``FOR NO KEY UPDATE`` → look the key up again (a twin may have committed while we waited) →
check funds → insert the transfer and entries and update the counters (``x = x + :delta``).
A UNIQUE constraint backs up each "once" rule; losing that race is answered like the check would
have been (replay, ``hold_already_resolved``, ``already_reversed``).

SQLite has no row locks and pysqlite opens no transaction before a SELECT (nor, which matters for
the SAVEPOINT, before one): each operation therefore starts a write transaction with
``BEGIN IMMEDIATE`` if the connection is not in one yet. A caller that already wrote in this
transaction already holds SQLite's write lock. The app-wide hook (every SQLite transaction
``BEGIN IMMEDIATE`` for money flows) is for the booking slice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.ledger.errors import (
    AlreadyReversedError,
    HoldAlreadyResolvedError,
    IdempotencyConflictError,
    InsufficientFundsError,
    MixedAssetsError,
    NotAHoldError,
    NotReversibleError,
    PostExceedsHoldError,
    SameAccountError,
    UnbalancedError,
    UnknownAccountError,
    UnknownHoldError,
    UnknownTransferError,
    ZeroOrNegativeAmountError,
)
from marketplace.ledger.models import (
    Asset,
    HoldStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransfer,
    TransferKind,
)

AccountRef = LedgerAccount | str  # an account or its code
TransferRef = LedgerTransfer | int  # a transfer or its id
Reference = tuple[str, object] | None  # the business object: ("booking", 12)

# Only funding sources may go below zero: a programme budget layer, a payment clearing account.
NEGATIVE_BALANCE_KINDS = frozenset({"budget", "clearing"})
REVERSIBLE_KINDS = (TransferKind.SINGLE, TransferKind.POST)


@dataclass(frozen=True)
class TransferResult:
    """The transfer a request produced; ``replayed`` when an earlier request with the same key and
    the same fields had produced it already (nothing moved this time)."""

    transfer: LedgerTransfer
    replayed: bool = False


# ---------------------------------------------------------------------------------------------
# accounts
def open_account(session: Session, code: str, asset: Asset | str, kind: str,
                 allow_negative: bool = False) -> LedgerAccount:
    """The account with this code, created if missing (same asset, kind and limit required)."""
    asset = Asset(asset)
    if not isinstance(code, str) or not code or len(code) > 120:
        raise ValueError(f"an account code is 1–120 characters: {code!r}")
    if allow_negative and kind not in NEGATIVE_BALANCE_KINDS:
        raise ValueError(f"only {sorted(NEGATIVE_BALANCE_KINDS)} accounts may go negative: {code}")
    _begin_write(session)
    account = _account_by_code(session, code)
    if account is None:
        account = LedgerAccount(code=code, asset=asset, kind=kind, allow_negative=allow_negative,
                                posted_balance=0, pending_debits=0, pending_credits=0)
        try:
            with session.begin_nested():
                session.add(account)
                session.flush()
        except IntegrityError:  # opened concurrently
            account = _account_by_code(session, code)
            if account is None:
                raise
    if (account.asset, account.kind, account.allow_negative) != (asset, kind, allow_negative):
        raise ValueError(f"account {code} exists as {account.asset}/{account.kind}/"
                         f"allow_negative={account.allow_negative}")
    return account


# ---------------------------------------------------------------------------------------------
# transfers
def transfer(session: Session, key: str, entries: Sequence[tuple[AccountRef, int]], memo: str,
             reference: Reference = None) -> TransferResult:
    """Move amounts at once: ``entries`` are (account, signed amount) legs that sum to zero."""
    _begin_write(session)
    legs = [(_code_of(account), _int(amount)) for account, amount in entries]
    ref = _reference(reference)
    fingerprint = _fingerprint("transfer", entries=sorted(legs), memo=_memo(memo), reference=ref)
    if replay := _replay(session, key, fingerprint):
        return replay
    if any(amount == 0 for _, amount in legs):
        raise ZeroOrNegativeAmountError("an entry of 0 moves nothing")
    if len(legs) < 2:
        raise UnbalancedError("a transfer needs at least two entries")
    accounts = _accounts_by_codes(session, [code for code, _ in legs])
    if len({code for code, _ in legs}) < len(legs):
        raise SameAccountError("an account appears twice in one transfer")
    asset = _one_asset(accounts.values())
    if sum(amount for _, amount in legs) != 0:
        raise UnbalancedError(f"entries sum to {sum(a for _, a in legs)}, not 0")

    locked = _lock_accounts(session, [a.id for a in accounts.values()])
    if replay := _replay(session, key, fingerprint):
        return replay
    moves = [(locked[accounts[code].id], amount) for code, amount in legs]
    _check_funds(moves)
    record = LedgerTransfer(idempotency_key=key, fingerprint=fingerprint, kind=TransferKind.SINGLE,
                            asset=asset, amount=sum(a for _, a in legs if a > 0), memo=memo,
                            **_reference_columns(ref))
    return _write(session, record, legs=moves, pending=False,
                  deltas={account: (amount, 0, 0) for account, amount in moves})


def hold(session: Session, key: str, debit_account: AccountRef, credit_account: AccountRef,
         amount: int, memo: str, reference: Reference = None) -> TransferResult:
    """Reserve ``amount`` of the debit account for the credit account (a pending transfer)."""
    _begin_write(session)
    debit_code, credit_code = _code_of(debit_account), _code_of(credit_account)
    amount = _int(amount)
    ref = _reference(reference)
    fingerprint = _fingerprint("hold", debit=debit_code, credit=credit_code, amount=amount,
                               memo=_memo(memo), reference=ref)
    if replay := _replay(session, key, fingerprint):
        return replay
    if amount <= 0:
        raise ZeroOrNegativeAmountError(f"a hold needs a positive amount, not {amount}")
    accounts = _accounts_by_codes(session, [debit_code, credit_code])
    if debit_code == credit_code:
        raise SameAccountError("a hold needs two different accounts")
    asset = _one_asset(accounts.values())

    locked = _lock_accounts(session, [a.id for a in accounts.values()])
    if replay := _replay(session, key, fingerprint):
        return replay
    debit, credit = locked[accounts[debit_code].id], locked[accounts[credit_code].id]
    moves = [(debit, -amount), (credit, amount)]
    _check_funds(moves)
    record = LedgerTransfer(idempotency_key=key, fingerprint=fingerprint, kind=TransferKind.PENDING,
                            status=HoldStatus.PENDING, asset=asset, amount=amount, memo=memo,
                            **_reference_columns(ref))
    return _write(session, record, legs=moves, pending=True,
                  deltas={debit: (0, amount, 0), credit: (0, 0, amount)})


def post(session: Session, key: str, hold: TransferRef, amount: int | None = None,
         memo: str | None = None) -> TransferResult:
    """Move ``amount`` (default: all) of an open hold; the rest of the hold is released."""
    _begin_write(session)
    hold_id = _transfer_id(hold)
    if amount is not None:
        amount = _int(amount)
    fingerprint = _fingerprint("post", hold=hold_id, amount=amount,
                               memo=None if memo is None else _memo(memo))
    if replay := _replay(session, key, fingerprint):
        return replay
    if amount is not None and amount <= 0:
        raise ZeroOrNegativeAmountError(f"post a positive amount (or none for all), not {amount}")
    record = _lock_open_hold(session, key, fingerprint, hold_id)
    if isinstance(record, TransferResult):
        return record
    held = record.amount
    posted = held if amount is None else amount
    if posted > held:
        raise PostExceedsHoldError(f"hold #{record.id} is for {held}, cannot post {posted}")
    debit, credit = _hold_accounts(session, record)
    resolution = LedgerTransfer(
        idempotency_key=key, fingerprint=fingerprint, kind=TransferKind.POST, pending_id=record.id,
        asset=record.asset, amount=posted, memo=memo or f"post of hold #{record.id}",
        reference_type=record.reference_type, reference_id=record.reference_id)
    return _write(session, resolution, legs=[(debit, -posted), (credit, posted)], pending=False,
                  deltas={debit: (-posted, -held, 0), credit: (posted, 0, -held)},
                  resolves=(record, HoldStatus.POSTED))


def void(session: Session, key: str, hold: TransferRef, memo: str | None = None) -> TransferResult:
    """Release an open hold entirely; nothing moves."""
    _begin_write(session)
    hold_id = _transfer_id(hold)
    fingerprint = _fingerprint("void", hold=hold_id, memo=None if memo is None else _memo(memo))
    if replay := _replay(session, key, fingerprint):
        return replay
    record = _lock_open_hold(session, key, fingerprint, hold_id)
    if isinstance(record, TransferResult):
        return record
    held = record.amount
    debit, credit = _hold_accounts(session, record)
    resolution = LedgerTransfer(
        idempotency_key=key, fingerprint=fingerprint, kind=TransferKind.VOID, pending_id=record.id,
        asset=record.asset, amount=held, memo=memo or f"void of hold #{record.id}",
        reference_type=record.reference_type, reference_id=record.reference_id)
    return _write(session, resolution, legs=[], pending=False,
                  deltas={debit: (0, -held, 0), credit: (0, 0, -held)},
                  resolves=(record, HoldStatus.VOIDED))


def reverse(session: Session, key: str, transfer: TransferRef, memo: str) -> TransferResult:
    """Correct a single or post transfer with a new transfer of the opposite entries (once)."""
    _begin_write(session)
    transfer_id = _transfer_id(transfer)
    fingerprint = _fingerprint("reverse", transfer=transfer_id, memo=_memo(memo))
    if replay := _replay(session, key, fingerprint):
        return replay
    original = _lock_transfer(session, transfer_id)
    if original is None:
        raise UnknownTransferError(f"no ledger transfer #{transfer_id}")
    if original.kind not in REVERSIBLE_KINDS:
        raise NotReversibleError(f"transfer #{original.id} is a {original.kind}; only single and "
                                 "post transfers can be reversed (void a hold instead)")
    if replay := _replay(session, key, fingerprint):
        return replay
    if reversal := _reversal_of(session, original.id):
        raise AlreadyReversedError(f"transfer #{original.id} was reversed by #{reversal.id}")
    entries = list(session.scalars(sa.select(LedgerEntry)
                                   .where(LedgerEntry.transfer_id == original.id)))
    locked = _lock_accounts(session, [e.account_id for e in entries])
    moves = [(locked[e.account_id], -e.amount) for e in entries]
    _check_funds(moves)
    record = LedgerTransfer(
        idempotency_key=key, fingerprint=fingerprint, kind=TransferKind.REVERSAL,
        reverses_id=original.id, asset=original.asset, amount=original.amount, memo=memo,
        reference_type=original.reference_type, reference_id=original.reference_id)
    return _write(session, record, legs=moves, pending=False,
                  deltas={account: (amount, 0, 0) for account, amount in moves})


# ---------------------------------------------------------------------------------------------
# the steps
def _begin_write(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _replay(session: Session, key: str, fingerprint: str) -> TransferResult | None:
    if not isinstance(key, str) or not key or len(key) > 120:
        raise ValueError(f"an idempotency key is 1–120 characters: {key!r}")
    existing = session.scalars(
        sa.select(LedgerTransfer).where(LedgerTransfer.idempotency_key == key)).one_or_none()
    if existing is None:
        return None
    if existing.fingerprint != fingerprint:
        raise IdempotencyConflictError(
            f"idempotency key {key!r} was used by transfer #{existing.id} for another request")
    return TransferResult(existing, replayed=True)


def _lock_open_hold(session: Session, key: str, fingerprint: str,
                    hold_id: int) -> LedgerTransfer | TransferResult:
    record = _lock_transfer(session, hold_id)
    if record is None:
        raise UnknownHoldError(f"no ledger transfer #{hold_id}")
    if record.kind != TransferKind.PENDING:
        raise NotAHoldError(f"transfer #{record.id} is a {record.kind}, not a hold")
    if replay := _replay(session, key, fingerprint):
        return replay
    if record.status != HoldStatus.PENDING:
        raise HoldAlreadyResolvedError(f"hold #{record.id} is already {record.status}")
    return record


def _lock_transfer(session: Session, transfer_id: int) -> LedgerTransfer | None:
    return session.scalars(
        sa.select(LedgerTransfer).where(LedgerTransfer.id == transfer_id)
        .with_for_update(key_share=True).execution_options(populate_existing=True)).one_or_none()


def _lock_accounts(session: Session, ids: Iterable[int]) -> dict[int, LedgerAccount]:
    """Lock the accounts in id order (the one order every operation uses) and re-read them."""
    rows = session.scalars(
        sa.select(LedgerAccount).where(LedgerAccount.id.in_(sorted(set(ids))))
        .order_by(LedgerAccount.id)
        .with_for_update(key_share=True).execution_options(populate_existing=True))
    return {account.id: account for account in rows}


def _hold_accounts(session: Session, record: LedgerTransfer) -> tuple[LedgerAccount, LedgerAccount]:
    entries = session.scalars(sa.select(LedgerEntry).where(LedgerEntry.transfer_id == record.id))
    debit_id = credit_id = None
    for entry in entries:
        if entry.amount < 0:
            debit_id = entry.account_id
        else:
            credit_id = entry.account_id
    locked = _lock_accounts(session, [debit_id, credit_id])
    return locked[debit_id], locked[credit_id]


def _check_funds(moves: Iterable[tuple[LedgerAccount, int]]) -> None:
    for account, amount in moves:
        if amount < 0 and not account.allow_negative and account.available + amount < 0:
            raise InsufficientFundsError(
                f"account {account.code} has {account.available} available "
                f"({account.posted_balance} posted, {account.pending_debits} held), needs {-amount}")


def _write(session: Session, record: LedgerTransfer, *, legs: list[tuple[LedgerAccount, int]],
           pending: bool, deltas: dict[LedgerAccount, tuple[int, int, int]],
           resolves: tuple[LedgerTransfer, HoldStatus] | None = None) -> TransferResult:
    """Insert the transfer and its entries and move the counters, all or nothing (SAVEPOINT).
    ``deltas``: account → (posted_balance, pending_debits, pending_credits) changes."""
    try:
        with session.begin_nested():
            session.add(record)
            for account, amount in legs:
                session.add(LedgerEntry(transfer=record, account=account, amount=amount,
                                        pending=pending))
            for account, (posted, debits, credits) in deltas.items():
                # relative updates: correct even if another writer slipped past the lock
                if posted:
                    account.posted_balance = LedgerAccount.posted_balance + posted
                if debits:
                    account.pending_debits = LedgerAccount.pending_debits + debits
                if credits:
                    account.pending_credits = LedgerAccount.pending_credits + credits
            if resolves is not None:
                held, status = resolves
                held.status = status
            session.flush()
    except IntegrityError:
        if replay := _explain_lost_race(session, record, resolves, legs):
            return replay
        raise
    return TransferResult(record, replayed=False)


def _explain_lost_race(session: Session, record: LedgerTransfer,
                       resolves: tuple[LedgerTransfer, HoldStatus] | None,
                       legs: list[tuple[LedgerAccount, int]]) -> TransferResult | None:
    """A constraint refused the insert (the SAVEPOINT is rolled back): answer as the check would
    have — a replay, or the rule's error. ``None`` when nothing explains it (re-raise)."""
    if replay := _replay(session, record.idempotency_key, record.fingerprint):
        return replay
    if resolves is not None:
        held = _lock_transfer(session, resolves[0].id)
        if held is not None and held.status != HoldStatus.PENDING:
            raise HoldAlreadyResolvedError(f"hold #{held.id} is already {held.status}")
    if record.reverses_id is not None and (reversal := _reversal_of(session, record.reverses_id)):
        raise AlreadyReversedError(f"transfer #{record.reverses_id} was reversed by #{reversal.id}")
    if legs:
        locked = _lock_accounts(session, [account.id for account, _ in legs])
        _check_funds((locked[account.id], amount) for account, amount in legs)
    return None


# ---------------------------------------------------------------------------------------------
# reading and checking the request
def _account_by_code(session: Session, code: str) -> LedgerAccount | None:
    return session.scalars(sa.select(LedgerAccount).where(LedgerAccount.code == code)).one_or_none()


def _accounts_by_codes(session: Session, codes: list[str]) -> dict[str, LedgerAccount]:
    found = {a.code: a for a in session.scalars(
        sa.select(LedgerAccount).where(LedgerAccount.code.in_(set(codes))))}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise UnknownAccountError(f"unknown ledger account(s): {', '.join(missing)}")
    return found


def _reversal_of(session: Session, transfer_id: int) -> LedgerTransfer | None:
    return session.scalars(sa.select(LedgerTransfer)
                           .where(LedgerTransfer.reverses_id == transfer_id)).one_or_none()


def _one_asset(accounts: Iterable[LedgerAccount]) -> Asset:
    assets = {account.asset for account in accounts}
    if len(assets) != 1:
        raise MixedAssetsError(f"a transfer moves one asset, not {sorted(assets)}")
    return assets.pop()


def _code_of(account: AccountRef) -> str:
    if isinstance(account, LedgerAccount):
        return account.code
    if isinstance(account, str):
        return account
    raise TypeError(f"an account or an account code, not {account!r}")


def _transfer_id(ref: TransferRef) -> int:
    if isinstance(ref, LedgerTransfer):
        if ref.id is None:
            raise ValueError("the transfer has no id yet; flush first")
        return ref.id
    return _int(ref)


def _int(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"amounts and ids are integers (fen), not {value!r}")
    return value


def _memo(memo: str) -> str:
    if not isinstance(memo, str) or len(memo) > 200:
        raise ValueError("a memo is a string of at most 200 characters")
    return memo


def _reference(reference: Reference) -> tuple[str, str] | None:
    if reference is None:
        return None
    kind, ident = reference
    kind, ident = str(kind), str(ident)
    if not kind or not ident or len(kind) > 40 or len(ident) > 40:
        raise ValueError(f"a reference is (type, id), each 1–40 characters: {reference!r}")
    return kind, ident


def _reference_columns(ref: tuple[str, str] | None) -> dict[str, str | None]:
    return {"reference_type": ref[0] if ref else None, "reference_id": ref[1] if ref else None}


def _fingerprint(operation: str, **fields) -> str:
    payload = json.dumps({"operation": operation, **fields}, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()
