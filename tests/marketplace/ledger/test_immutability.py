"""L5/L6: entries and transfers are append-only; the database refuses every edit and delete,
through the ORM and through raw SQL, on SQLite and PostgreSQL alike (triggers from the migration).
The one allowed change — a hold's status from pending to posted/voided — is what ``post`` and
``void`` do, and is checked too."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.ledger import operations as ops
from marketplace.ledger import queries
from marketplace.ledger.models import HoldStatus, LedgerEntry, LedgerTransfer
from tests.marketplace.ledger.helpers import snapshot


@pytest.fixture
def history(session, chart):
    """A posted hold, an open hold, a single transfer: one of each row kind to attack."""
    single = ops.transfer(session, "fund", [(chart.budget, -1000), (chart.voucher, 1000)],
                          "issue").transfer
    posted = ops.hold(session, "h1", chart.voucher, chart.receivable, 300, "booking").transfer
    ops.post(session, "p1", posted, amount=200)
    open_hold = ops.hold(session, "h2", chart.voucher, chart.receivable, 100, "booking").transfer
    session.commit()
    return {"single": single.id, "posted": posted.id, "open": open_hold.id}


def _orm_attempts(session, history, chart):
    def entry():
        return session.scalars(sa.select(LedgerEntry).where(
            LedgerEntry.transfer_id == history["single"]).order_by(LedgerEntry.id)).first()

    def transfer(name):
        return session.get(LedgerTransfer, history[name])

    def set_(obj, **values):
        for name, value in values.items():
            setattr(obj, name, value)

    return {
        "orm: entry amount": lambda: set_(entry(), amount=999),
        "orm: entry account": lambda: set_(entry(), account_id=chart.escrow.id),
        "orm: entry pending flag": lambda: set_(entry(), pending=True),
        "orm: delete entry": lambda: session.delete(entry()),
        "orm: transfer amount": lambda: set_(transfer("single"), amount=1),
        "orm: transfer memo": lambda: set_(transfer("single"), memo="edited"),
        "orm: delete transfer": lambda: session.delete(transfer("single")),
        "orm: posted hold back to pending": lambda: set_(transfer("posted"),
                                                          status=HoldStatus.PENDING),
        "orm: posted hold to voided": lambda: set_(transfer("posted"), status=HoldStatus.VOIDED),
        "orm: open hold posted with a new amount": lambda: set_(
            transfer("open"), status=HoldStatus.POSTED, amount=50),
    }


RAW_ATTEMPTS = {
    "sql: entry amount": "UPDATE ledger_entries SET amount = amount + 1",
    "sql: entry account": "UPDATE ledger_entries SET account_id = account_id",
    "sql: delete one entry": "DELETE FROM ledger_entries WHERE id = (SELECT MIN(id) FROM ledger_entries)",
    "sql: delete all entries": "DELETE FROM ledger_entries",
    "sql: transfer amount": "UPDATE ledger_transfers SET amount = 1 WHERE id = {single}",
    "sql: transfer key": "UPDATE ledger_transfers SET idempotency_key = 'x' WHERE id = {single}",
    "sql: transfer reference": "UPDATE ledger_transfers SET reference_type = 'booking', "
                               "reference_id = '99' WHERE id = {single}",
    "sql: delete transfer": "DELETE FROM ledger_transfers WHERE id = {single}",
    "sql: delete all transfers": "DELETE FROM ledger_transfers",
    "sql: reopen a posted hold": "UPDATE ledger_transfers SET status = 'pending' WHERE id = {posted}",
    "sql: post an open hold and grow it": "UPDATE ledger_transfers SET status = 'posted', "
                                          "amount = amount + 1 WHERE id = {open}",
    "sql: single transfer given a status": "UPDATE ledger_transfers SET status = 'posted' "
                                           "WHERE id = {single}",
}
POSTGRESQL_ATTEMPTS = {
    "sql: truncate entries": "TRUNCATE ledger_entries",
    "sql: truncate transfers": "TRUNCATE ledger_transfers CASCADE",
}


def test_no_update_or_delete_of_entries_and_transfers_succeeds(session, chart, history, figures):
    started = time.perf_counter()
    before = snapshot(session)
    attempts = dict(_orm_attempts(session, history, chart))
    raw = dict(RAW_ATTEMPTS)
    if session.get_bind().dialect.name == "postgresql":
        raw.update(POSTGRESQL_ATTEMPTS)
    attempts.update({name: (lambda sql=sql: session.execute(sa.text(sql.format(**history))))
                     for name, sql in raw.items()})
    succeeded, messages = [], set()
    for name, attempt in attempts.items():
        try:
            with session.begin_nested():
                attempt()
                session.flush()
        except IntegrityError as error:
            messages.add(str(error.orig).splitlines()[0])
        else:
            succeeded.append(name)
        session.expire_all()
    session.rollback()
    figures["L5"] = (f"L5 immutability: {len(attempts)} mutation attempts, "
                     f"{len(succeeded)} succeeded [seed none (fixed attempts), elapsed "
                     f"{time.perf_counter() - started:.1f}s]")
    print(figures["L5"])
    assert succeeded == []
    assert all("refused" in message for message in messages), messages
    assert snapshot(session) == before
    assert queries.verify(session).ok


@pytest.mark.ledger_breaks
def test_the_one_allowed_change_is_a_hold_status_moving_on(session, chart, history):
    """What post/void do: pending → posted|voided, nothing else in the row (the trigger lets it
    through; ``verify`` then notices that no void transfer backs it)."""
    session.execute(sa.text("UPDATE ledger_transfers SET status = 'voided' WHERE id = :id"),
                    {"id": history["open"]})
    session.commit()
    assert session.get(LedgerTransfer, history["open"]).status == HoldStatus.VOIDED
    checks = {b.check for b in queries.verify(session).breaks}
    assert checks == {"hold_state", "pending_debits_mismatch", "pending_credits_mismatch"}


@pytest.mark.ledger_breaks
def test_accounts_stay_editable_for_their_cached_counters(session, chart, history):
    """Counters are a cache: the no-overdraft CHECK guards them, not the append-only trigger."""
    session.execute(sa.text("UPDATE ledger_accounts SET posted_balance = posted_balance + 1 "
                            "WHERE id = :id"), {"id": chart.voucher.id})
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(sa.text("UPDATE ledger_accounts SET posted_balance = -5 WHERE id = :id"),
                        {"id": chart.receivable.id})
    session.rollback()
