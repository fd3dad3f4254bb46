"""Side effects that must run only once the transaction that caused them has committed.

Operations never commit; they call ``after_commit(fn)`` for e-mail delivery, search indexing and
follow-up calls. On rollback the callbacks are dropped, so nothing happens for undone work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "after_commit_callbacks"
_UNDO = "after_rollback_callbacks"
T = TypeVar("T")


def after_commit(fn: Callable[[], None], session: Session | None = None) -> None:
    if session is None:
        from marketplace.extensions import db

        session = db.session()
    session.info.setdefault(_KEY, []).append(fn)


def after_commit_once(kind: type[T], make: Callable[[], T], session: Session | None = None) -> T:
    """The callback of class ``kind`` already waiting for this transaction's commit, or a new one
    from ``make()`` put in the queue: several changes of one transaction share one callback (the
    outbox sends a transaction's messages in one job). Dropped on rollback like any other."""
    if session is None:
        from marketplace.extensions import db

        session = db.session()
    waiting = session.info.setdefault(_KEY, [])
    for fn in waiting:
        if type(fn) is kind:
            return fn
    fn = make()
    waiting.append(fn)
    return fn


def after_rollback(fn: Callable[[], None], session: Session | None = None) -> None:
    """Undo a side effect already done (e.g. a file written) if the transaction rolls back."""
    if session is None:
        from marketplace.extensions import db

        session = db.session()
    session.info.setdefault(_UNDO, []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_callbacks(session: Session) -> None:
    if session.in_nested_transaction():  # SQLAlchemy fires this on a SAVEPOINT's release too
        return
    session.info.pop(_UNDO, None)
    callbacks = session.info.pop(_KEY, [])
    for fn in callbacks:
        try:
            fn()
        except Exception:  # a failed side effect must not undo a committed business change
            log.exception("post-commit callback %r failed", fn)


@event.listens_for(Session, "after_soft_rollback")
def _drop_callbacks(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)
        for fn in session.info.pop(_UNDO, []):
            try:
                fn()
            except Exception:
                log.exception("rollback callback %r failed", fn)
