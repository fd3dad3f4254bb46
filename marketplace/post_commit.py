"""Side effects that must run only once the transaction that caused them has committed.

Operations never commit; they call ``after_commit(fn)`` for e-mail delivery, search indexing and
follow-up calls. On rollback the callbacks are dropped, so nothing happens for undone work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "after_commit_callbacks"
_UNDO = "after_rollback_callbacks"


def after_commit(fn: Callable[[], None], session: Session | None = None) -> None:
    if session is None:
        from marketplace.extensions import db

        session = db.session()
    session.info.setdefault(_KEY, []).append(fn)


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
