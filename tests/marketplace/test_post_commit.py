"""After-commit callbacks run once the *outer* transaction has committed, never at a SAVEPOINT's
release (SQLAlchemy fires ``after_commit`` for both), and are dropped on rollback."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.post_commit import after_commit


def test_callbacks_wait_for_the_outer_commit_not_a_savepoint(db):
    ran = []
    db.session.execute(sa.text("SELECT 1"))
    after_commit(lambda: ran.append("before the savepoint"))
    with db.session.begin_nested():
        after_commit(lambda: ran.append("inside the savepoint"))
    assert ran == []  # the savepoint was released; nothing is committed yet
    db.session.commit()
    assert ran == ["before the savepoint", "inside the savepoint"]


def test_callbacks_are_dropped_when_the_transaction_rolls_back(db):
    ran = []
    db.session.execute(sa.text("SELECT 1"))
    with db.session.begin_nested():
        after_commit(lambda: ran.append("x"))
    db.session.rollback()
    db.session.commit()
    assert ran == []
