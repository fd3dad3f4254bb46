"""Ledger operations: open accounts, move, hold, post, void and reverse amounts.

Each takes the SQLAlchemy ``Session`` first, flushes what the caller left pending, writes with a
few SQL statements of its own (SQLAlchemy Core: no unit-of-work flush, and no SAVEPOINT for a
move) and never commits: the caller's transaction decides. A refused request raises a
``ledger.errors`` subclass (``code`` names the rule) and writes nothing: every refusal is decided
before the first write, and the first write — the transfer's ``INSERT … ON CONFLICT DO NOTHING``
— cannot fail on a race, so the caller's transaction stays usable. The result is an ORM
``LedgerTransfer`` attached to the session; ORM objects the session already holds (accounts, the
hold) are given the new values.

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
``FOR NO KEY UPDATE`` (transfer and hold find them by code in that statement, and check what
needs them — unknown, same or mixed accounts — once they have them) → look the key up again (a
twin may have committed while we waited; for post and void the statement that locks the accounts
does it, as it runs after the hold's lock that any twin needs) → check funds → write: the
transfer, its entries, the counters (``x = x + :delta``) and the hold's status — on PostgreSQL in
one statement (data-modifying CTEs), on SQLite in three or four.
A UNIQUE constraint backs up each "once" rule: the transfer's insert is ``ON CONFLICT DO
NOTHING``, and losing that race (nothing is written then) is answered like the check would have
been (replay, ``hold_already_resolved``, ``already_reversed``). Once the checks have passed under
the locks the other writes cannot be refused; should a CHECK constraint still refuse one (a writer
that bypassed the locks), the ``IntegrityError`` propagates and the caller must roll back, as
after any database error.

SQLite has no row locks and pysqlite opens no transaction before a SELECT: each operation therefore
starts a write transaction with ``BEGIN IMMEDIATE`` if the connection is not in one yet (so no
other writer can commit between our checks and our writes). A caller that already wrote in this
transaction already holds SQLite's write lock. The app-wide hook (every SQLite transaction
``BEGIN IMMEDIATE`` for money flows) is for the booking slice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.extensions import utcnow
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
    accounts = _lock_accounts_by_codes(session, [code for code, _ in legs])
    if len({code for code, _ in legs}) < len(legs):
        raise SameAccountError("an account appears twice in one transfer")
    asset = _one_asset(accounts.values())
    if sum(amount for _, amount in legs) != 0:
        raise UnbalancedError(f"entries sum to {sum(a for _, a in legs)}, not 0")

    if replay := _replay(session, key, fingerprint):
        return replay
    moves = [(accounts[code], amount) for code, amount in legs]
    _check_funds(moves)
    record = _transfer_values(key, fingerprint, TransferKind.SINGLE, asset,
                              sum(a for _, a in legs if a > 0), memo, *_reference_pair(ref))
    return _write(session, record, legs=moves, pending=False,
                  deltas={account.id: (amount, 0, 0) for account, amount in moves})


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
    accounts = _lock_accounts_by_codes(session, [debit_code, credit_code])
    if debit_code == credit_code:
        raise SameAccountError("a hold needs two different accounts")
    asset = _one_asset(accounts.values())

    if replay := _replay(session, key, fingerprint):
        return replay
    debit, credit = accounts[debit_code], accounts[credit_code]
    moves = [(debit, -amount), (credit, amount)]
    _check_funds(moves)
    record = _transfer_values(key, fingerprint, TransferKind.PENDING, asset, amount, memo,
                              *_reference_pair(ref), status=HoldStatus.PENDING)
    return _write(session, record, legs=moves, pending=True,
                  deltas={debit.id: (0, amount, 0), credit.id: (0, 0, amount)})


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
    resolution = _transfer_values(key, fingerprint, TransferKind.POST, record.asset, posted,
                                  memo or f"post of hold #{record.id}", record.reference_type,
                                  record.reference_id, pending_id=record.id)
    return _write(session, resolution, legs=[(debit, -posted), (credit, posted)], pending=False,
                  deltas={debit.id: (-posted, -held, 0), credit.id: (posted, 0, -held)},
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
    resolution = _transfer_values(key, fingerprint, TransferKind.VOID, record.asset, held,
                                  memo or f"void of hold #{record.id}", record.reference_type,
                                  record.reference_id, pending_id=record.id)
    return _write(session, resolution, legs=[], pending=False,
                  deltas={debit.id: (0, -held, 0), credit.id: (0, 0, -held)},
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
    entries = session.connection().execute(_ENTRIES_OF, {"transfer_id": original.id}).all()
    locked = _lock_accounts(session, [e.account_id for e in entries])
    moves = [(locked[e.account_id], -e.amount) for e in entries]
    _check_funds(moves)
    record = _transfer_values(key, fingerprint, TransferKind.REVERSAL, original.asset,
                              original.amount, memo, original.reference_type,
                              original.reference_id, reverses_id=original.id)
    return _write(session, record, legs=moves, pending=False,
                  deltas={account.id: (amount, 0, 0) for account, amount in moves})


# ---------------------------------------------------------------------------------------------
# the statements (built once, so that SQLAlchemy reuses their compiled form)
_T, _E, _A = LedgerTransfer.__table__, LedgerEntry.__table__, LedgerAccount.__table__
_TRANSFER_MAPPER = sa.inspect(LedgerTransfer)
_ACCOUNT_MAPPER = sa.inspect(LedgerAccount)
_ACCOUNT_COLUMNS = (_A.c.id, _A.c.code, _A.c.asset, _A.c.allow_negative, _A.c.posted_balance,
                    _A.c.pending_debits, _A.c.pending_credits)
_COUNTERS = ("posted_balance", "pending_debits", "pending_credits")
_TRANSFER_FIELDS = tuple(c.key for c in _T.c if c.key != "id")  # what an insert gives, always all

_BY_KEY = (sa.select(_T.c.id, _T.c.fingerprint)
           .where(_T.c.idempotency_key == sa.bindparam("key", type_=_T.c.idempotency_key.type)))
_LOCK_TRANSFER = (sa.select(_T.c.id, _T.c.kind, _T.c.status, _T.c.asset, _T.c.amount,
                            _T.c.reference_type, _T.c.reference_id)
                  .where(_T.c.id == sa.bindparam("id", type_=_T.c.id.type))
                  .with_for_update(key_share=True))
_REVERSAL_OF = sa.select(_T.c.id).where(_T.c.reverses_id == sa.bindparam("transfer_id"))
_ENTRIES_OF = (sa.select(_E.c.account_id, _E.c.amount)
               .where(_E.c.transfer_id == sa.bindparam("transfer_id")))
# FOR NO KEY UPDATE, in id order: PostgreSQL locks the rows in the order the sort emits them
_LOCK_BY_CODES = (sa.select(*_ACCOUNT_COLUMNS)
                  .where(_A.c.code.in_(sa.bindparam("codes", expanding=True)))
                  .order_by(_A.c.id).with_for_update(key_share=True))
_LOCK_BY_IDS = (sa.select(*_ACCOUNT_COLUMNS)
                .where(_A.c.id.in_(sa.bindparam("ids", expanding=True)))
                .order_by(_A.c.id).with_for_update(key_share=True))
# a hold's two accounts (from its entries), locked, and its resolution's key looked up again
_KEY_LOOKUP = _T.alias("same_key")
_LOCK_HOLD_ACCOUNTS = (
    sa.select(*_ACCOUNT_COLUMNS, _E.c.amount.label("entry_amount"),
              sa.select(_KEY_LOOKUP.c.id).where(_KEY_LOOKUP.c.idempotency_key == sa.bindparam(
                  "key", type_=_T.c.idempotency_key.type)).scalar_subquery().label("key_id"),
              sa.select(_KEY_LOOKUP.c.fingerprint).where(
                  _KEY_LOOKUP.c.idempotency_key == sa.bindparam("key")).scalar_subquery()
              .label("key_fingerprint"))
    .join(_E, _E.c.account_id == _A.c.id)
    .where(_E.c.transfer_id == sa.bindparam("transfer_id", type_=_E.c.transfer_id.type))
    .order_by(_A.c.id).with_for_update(key_share=True, of=_A))
_INSERT_TRANSFER_PLAIN = sa.insert(_T).returning(_T.c.id)
_SHAPED: dict[tuple, sa.Executable] = {}  # the writes: one statement per shape (legs, counters)


def _bind(name: str, column: sa.Column) -> sa.BindParameter:
    return sa.bindparam(name, type_=column.type)


def _insert_transfer(dialect: str):
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id``: a unique rule (the key, one resolution
    per hold, one reversal per transfer) lost to a concurrent request returns no row instead of
    aborting the caller's transaction."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    return (insert(_T).values({name: _bind(f"t_{name}", _T.c[name]) for name in _TRANSFER_FIELDS})
            .on_conflict_do_nothing().returning(_T.c.id))


def _counter_changes(n: int, columns: tuple[str, ...]) -> tuple[list, dict]:
    """``x = x + CASE id WHEN :id_0 THEN :x_0 … END`` for ``n`` accounts: one UPDATE for all."""
    ids = [_bind(f"id_{i}", _A.c.id) for i in range(n)]
    changes = {column: _A.c[column] + sa.case(
        *[(_A.c.id == ids[i], _bind(f"{column}_{i}", _A.c[column])) for i in range(n)],
        else_=sa.literal_column("0")) for column in columns}
    return ids, changes


def _write_statements(dialect: str, legs: int, accounts: int, columns: tuple[str, ...],
                      resolves: bool) -> sa.Executable | tuple:
    """PostgreSQL: the whole write as one statement (data-modifying CTEs, each depending on the
    transfer's insert, so that nothing is written when it inserted nothing), returning the
    transfer's id and the new counters. SQLite (no DML in WITH): the statements in order."""
    shape = (dialect, legs, accounts, columns, resolves)
    if (found := _SHAPED.get(shape)) is not None:
        return found
    ids, changes = _counter_changes(accounts, columns)
    counters = (_A.c.id, *(_A.c[c] for c in _COUNTERS))
    status = {"status": _bind("hold_status", _T.c.status)}
    hold_id = _bind("hold_id", _T.c.id)
    if dialect == "postgresql":
        transfer = _insert_transfer(dialect).cte("new_transfer")
        inserted = sa.exists(sa.select(transfer.c.id))
        ctes = []
        if legs:
            ctes.append(_E.insert().from_select(
                ["transfer_id", "account_id", "amount", "pending"],
                sa.union_all(*[sa.select(transfer.c.id, _bind(f"account_{i}", _E.c.account_id),
                                         _bind(f"amount_{i}", _E.c.amount),
                                         _bind("entry_pending", _E.c.pending))
                                 for i in range(legs)])
            ).cte("new_entries"))
        if resolves:
            ctes.append(_T.update().where(_T.c.id == hold_id, inserted).values(status)
                        .cte("resolved_hold"))
        moved = (_A.update().where(_A.c.id.in_(ids), inserted).values(changes)
                 .returning(*counters).cte("moved"))
        found = (sa.select(transfer.c.id.label("transfer_id"), *moved.c)
                 .select_from(transfer.outerjoin(moved, sa.true())).add_cte(*ctes))
    else:
        entries = (_E.insert().values([
            {"transfer_id": _bind("entry_transfer_id", _E.c.transfer_id),
             "pending": _bind("entry_pending", _E.c.pending),
             "account_id": _bind(f"account_{i}", _E.c.account_id),
             "amount": _bind(f"amount_{i}", _E.c.amount)} for i in range(legs)])
            if legs else None)
        found = (_insert_transfer(dialect), entries,
                 _A.update().where(_A.c.id.in_(ids)).values(changes).returning(*counters),
                 _T.update().where(_T.c.id == hold_id).values(status) if resolves else None)
    _SHAPED[shape] = found
    return found


# ---------------------------------------------------------------------------------------------
# the steps
def _begin_write(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    session.flush()  # the caller's pending changes first, as a query would autoflush them


def _replay(session: Session, key: str, fingerprint: str) -> TransferResult | None:
    if not isinstance(key, str) or not key or len(key) > 120:
        raise ValueError(f"an idempotency key is 1–120 characters: {key!r}")
    existing = session.connection().execute(_BY_KEY, {"key": key}).first()
    if existing is None:
        return None
    return _answer(session, key, fingerprint, existing.id, existing.fingerprint)


def _answer(session: Session, key: str, fingerprint: str, transfer_id: int,
            used_by: str) -> TransferResult:
    """The key is taken by transfer ``transfer_id`` for the request ``used_by`` (a fingerprint):
    the same request is answered with it, another one is refused."""
    if used_by != fingerprint:
        raise IdempotencyConflictError(
            f"idempotency key {key!r} was used by transfer #{transfer_id} for another request")
    return TransferResult(session.get(LedgerTransfer, transfer_id), replayed=True)


@dataclass(frozen=True)
class _Hold:
    """An open hold, locked, with its two accounts, locked too."""

    id: int
    kind: TransferKind
    status: HoldStatus
    asset: Asset
    amount: int
    reference_type: str | None
    reference_id: str | None
    accounts: tuple[sa.Row, sa.Row]  # debit, credit


def _lock_open_hold(session: Session, key: str, fingerprint: str,
                    hold_id: int) -> _Hold | TransferResult:
    """Lock the hold, then its accounts; the statement that locks the accounts also looks the
    key up again: a twin request would have needed the hold's lock, which we hold now, so that
    statement sees every twin that committed."""
    record = _lock_transfer(session, hold_id)
    if record is None:
        raise UnknownHoldError(f"no ledger transfer #{hold_id}")
    if record.kind != TransferKind.PENDING:
        raise NotAHoldError(f"transfer #{record.id} is a {record.kind}, not a hold")
    rows = _lock_hold_accounts(session, record.id, key)
    if len(rows) != 2:  # not the shape of a hold (verify reports it): look the key up alone
        if replay := _replay(session, key, fingerprint):
            return replay
    elif rows[0].key_id is not None:
        return _answer(session, key, fingerprint, rows[0].key_id, rows[0].key_fingerprint)
    if record.status != HoldStatus.PENDING:
        raise HoldAlreadyResolvedError(f"hold #{record.id} is already {record.status}")
    return _Hold(*record, accounts=_debit_credit(rows))


def _lock_transfer(session: Session, transfer_id: int) -> sa.Row | None:
    """The transfer's row, locked; a copy the session holds gets its (current) status."""
    record = session.connection().execute(_LOCK_TRANSFER, {"id": transfer_id}).first()
    if record is not None:
        _refresh(session, _TRANSFER_MAPPER, record.id, status=record.status)
    return record


def _lock_hold_accounts(session: Session, hold_id: int, key: str | None) -> list[sa.Row]:
    rows = session.connection().execute(_LOCK_HOLD_ACCOUNTS,
                                        {"transfer_id": hold_id, "key": key}).all()
    _refresh_accounts(session, rows)
    return rows


def _hold_accounts(session: Session, record: _Hold | sa.Row) -> tuple[sa.Row, sa.Row]:
    """The hold's debit and credit accounts, locked in id order."""
    if isinstance(record, _Hold):
        return record.accounts
    return _debit_credit(_lock_hold_accounts(session, record.id, None))


def _debit_credit(rows: list[sa.Row]) -> tuple[sa.Row, sa.Row]:
    debits = [row for row in rows if row.entry_amount < 0]
    credits = [row for row in rows if row.entry_amount > 0]
    if len(debits) != 1 or len(credits) != 1:
        raise RuntimeError(f"a hold has one debit and one credit entry, not {len(rows)} entries "
                           "(flask ledger verify reports it)")
    return debits[0], credits[0]


def _lock_accounts(session: Session, ids: Iterable[int]) -> dict[int, sa.Row]:
    """Lock the accounts in id order (the one order every operation uses) and re-read them."""
    rows = session.connection().execute(_LOCK_BY_IDS, {"ids": sorted(set(ids))}).all()
    _refresh_accounts(session, rows)
    return {account.id: account for account in rows}


def _lock_accounts_by_codes(session: Session, codes: list[str]) -> dict[str, sa.Row]:
    """Read and lock the accounts named by ``codes`` with one statement, in id order."""
    rows = session.connection().execute(_LOCK_BY_CODES, {"codes": sorted(set(codes))}).all()
    _refresh_accounts(session, rows)
    found = {account.code: account for account in rows}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise UnknownAccountError(f"unknown ledger account(s): {', '.join(missing)}")
    return found


def _check_funds(moves: Iterable[tuple[sa.Row, int]]) -> None:
    for account, amount in moves:
        available = account.posted_balance - account.pending_debits
        if amount < 0 and not account.allow_negative and available + amount < 0:
            raise InsufficientFundsError(
                f"account {account.code} has {available} available "
                f"({account.posted_balance} posted, {account.pending_debits} held), needs {-amount}")


def _write(session: Session, record: dict, *, legs: list[tuple[sa.Row, int]], pending: bool,
           deltas: dict[int, tuple[int, int, int]],
           resolves: tuple[_Hold | sa.Row, HoldStatus] | None = None) -> TransferResult:
    """Insert the transfer and its entries, move the counters and resolve the hold.
    ``record``: the transfer's columns; ``deltas``: account id → (posted_balance, pending_debits,
    pending_credits) changes, applied relatively (``x = x + :delta``)."""
    connection = session.connection()
    dialect = connection.dialect.name
    columns = tuple(column for n, column in enumerate(_COUNTERS)
                    if any(change[n] for change in deltas.values()))
    # parameter names are never column names: SQLAlchemy would take such a key of an UPDATE's
    # or INSERT's parameters for one more column to set
    params = {f"t_{name}": value for name, value in record.items()}
    params["entry_pending"] = pending
    for i, (account, amount) in enumerate(legs):
        params[f"account_{i}"], params[f"amount_{i}"] = account.id, amount
    for i, (account_id, change) in enumerate(deltas.items()):
        params[f"id_{i}"] = account_id
        for n, column in enumerate(_COUNTERS):
            if column in columns:
                params[f"{column}_{i}"] = change[n]
    if resolves is not None:
        params["hold_id"], params["hold_status"] = resolves[0].id, resolves[1]
    statements = _write_statements(dialect, len(legs), len(deltas), columns, resolves is not None)

    if dialect == "postgresql":
        rows = connection.execute(statements, params).all()
        transfer_id = rows[0].transfer_id if rows else None
    else:
        inserted = connection.execute(statements[0], params).first()
        transfer_id = inserted.id if inserted is not None else None
    if transfer_id is None:  # a unique rule was taken by a concurrent request: nothing written
        if replay := _explain_lost_race(session, record, resolves, legs):
            return replay
        savepoint = session.begin_nested()  # unexplained: let the constraint say why, harmlessly
        try:
            connection.execute(_INSERT_TRANSFER_PLAIN, record)
        finally:
            savepoint.rollback()
        raise RuntimeError(f"ledger transfer {record['idempotency_key']!r} was refused by a "
                           "unique constraint, then accepted; retry the request")
    if dialect != "postgresql":
        params["entry_transfer_id"] = transfer_id
        _insert, entries, counters, resolve = statements
        if entries is not None:
            connection.execute(entries, params)
        rows = connection.execute(counters, params).all()
        if resolve is not None:
            connection.execute(resolve, params)
    if resolves is not None:
        _refresh(session, _TRANSFER_MAPPER, resolves[0].id, status=resolves[1])
    _refresh_accounts(session, rows)
    return TransferResult(_attach(session, {**record, "id": transfer_id}))


def _explain_lost_race(session: Session, record: dict,
                       resolves: tuple[sa.Row, HoldStatus] | None,
                       legs: list[tuple[sa.Row, int]]) -> TransferResult | None:
    """A unique constraint refused the insert (nothing was written): answer as the check would
    have — a replay, or the rule's error. ``None`` when nothing explains it."""
    if replay := _replay(session, record["idempotency_key"], record["fingerprint"]):
        return replay
    if resolves is not None:
        held = _lock_transfer(session, resolves[0].id)
        if held is not None and held.status != HoldStatus.PENDING:
            raise HoldAlreadyResolvedError(f"hold #{held.id} is already {held.status}")
    if record["reverses_id"] is not None and (
            reversal := _reversal_of(session, record["reverses_id"])):
        raise AlreadyReversedError(f"transfer #{record['reverses_id']} was reversed by "
                                   f"#{reversal.id}")
    if legs:
        locked = _lock_accounts(session, [account.id for account, _ in legs])
        _check_funds((locked[account.id], amount) for account, amount in legs)
    return None


# ---------------------------------------------------------------------------------------------
# the session's view: ORM objects for results, fresh values for the ones it already holds
def _attach(session: Session, values: Mapping) -> LedgerTransfer:
    """The ``LedgerTransfer`` of a row just inserted, as the session's persistent object (no SQL).
    An object of a rolled-back transaction may still carry its id (SQLite reuses ids): it is given
    the new row's values."""
    identity = _TRANSFER_MAPPER.identity_key_from_primary_key((values["id"],))
    existing = session.identity_map.get(identity)
    if existing is not None:
        for name, value in values.items():
            set_committed_value(existing, name, value)
        return existing
    # as the ORM builds an object from a row (no __init__, no attribute events: a third of the
    # cost), then as if loaded: every column committed, the relationships left to load lazily
    instance = _TRANSFER_MAPPER.class_manager.new_instance()
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def _refresh(session: Session, mapper, ident: int, **values) -> None:
    instance = session.identity_map.get(mapper.identity_key_from_primary_key((ident,)))
    if instance is not None:
        for name, value in values.items():
            set_committed_value(instance, name, value)


def _refresh_accounts(session: Session, rows: Iterable[sa.Row]) -> None:
    """Accounts the session holds get the counters just read or written (under our lock)."""
    if not session.identity_map:
        return
    for row in rows:
        _refresh(session, _ACCOUNT_MAPPER, row.id, posted_balance=row.posted_balance,
                 pending_debits=row.pending_debits, pending_credits=row.pending_credits)


# ---------------------------------------------------------------------------------------------
# reading and checking the request
def _account_by_code(session: Session, code: str) -> LedgerAccount | None:
    return session.scalars(sa.select(LedgerAccount).where(LedgerAccount.code == code)).one_or_none()


def _reversal_of(session: Session, transfer_id: int) -> sa.Row | None:
    return session.connection().execute(_REVERSAL_OF, {"transfer_id": transfer_id}).first()


def _one_asset(accounts: Iterable[sa.Row]) -> Asset:
    assets = {account.asset for account in accounts}
    if len(assets) != 1:
        raise MixedAssetsError(f"a transfer moves one asset, not {sorted(assets)}")
    return assets.pop()


def _transfer_values(key: str, fingerprint: str, kind: TransferKind, asset: Asset, amount: int,
                     memo: str, reference_type: str | None, reference_id: str | None, *,
                     status: HoldStatus | None = None, pending_id: int | None = None,
                     reverses_id: int | None = None) -> dict:
    values = {"idempotency_key": key, "fingerprint": fingerprint, "kind": kind, "status": status,
              "pending_id": pending_id, "reverses_id": reverses_id, "asset": asset,
              "amount": amount, "memo": memo, "reference_type": reference_type,
              "reference_id": reference_id, "created_at": utcnow()}
    return values


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


def _reference_pair(ref: tuple[str, str] | None) -> tuple[str | None, str | None]:
    return (ref[0], ref[1]) if ref else (None, None)


def _fingerprint(operation: str, **fields) -> str:
    payload = json.dumps({"operation": operation, **fields}, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()
