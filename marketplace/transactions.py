"""Write transactions that are safe under concurrency on both databases.

PostgreSQL: rows that a rule reads and then changes are locked (``SELECT … FOR NO KEY UPDATE``,
which does not conflict with the ``KEY SHARE`` locks foreign keys take) and re-read.
SQLite has no row locks, and pysqlite opens no transaction before the first write, so two requests
could both read "free" and both write. ``begin_write`` therefore starts the write transaction with
``BEGIN IMMEDIATE`` (SQLite's one writer lock) *before* the reads that decide, and readers are not
blocked (WAL). Operations that move money or bookings call ``lock`` for their aggregate first.
"""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

M = TypeVar("M")


def begin_write(session: Session) -> None:
    """Make sure this transaction can write: on SQLite, take the writer lock now."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock(session: Session, model: type[M], ident: int) -> M | None:
    """The row re-read under a write lock (its current state, not what the session cached)."""
    begin_write(session)
    return session.scalars(
        sa.select(model).where(model.id == ident)
        .with_for_update(key_share=True, of=model.__table__)
        .execution_options(populate_existing=True)).unique().one_or_none()


def lock_accounts(session: Session, codes) -> dict:
    """Ledger accounts by code, locked together in id order — the one order every money flow
    uses, so that two flows never wait for each other in a cycle. Lock every account a flow will
    touch in one call, before its first ledger write; missing codes are left out."""
    from marketplace.ledger.models import LedgerAccount

    begin_write(session)
    rows = session.scalars(
        sa.select(LedgerAccount).where(LedgerAccount.code.in_(sorted(set(codes))))
        .order_by(LedgerAccount.id)
        .with_for_update(key_share=True).execution_options(populate_existing=True))
    return {account.code: account for account in rows}
