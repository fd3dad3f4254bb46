"""Feedback, views and the weekly digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.errors import DomainError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.recommendations import operations
from marketplace.recommendations.models import DigestSent, ListingView, NotRelevant
from marketplace.recommendations.operations import NOT_RELEVANT_REASONS, REASON_LABELS
from tests.factories import make_user


def _count(model, **where) -> int:
    query = sa.select(sa.func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


# ---------------------------------------------------------------------------------------------
# not relevant
def test_mark_not_relevant_is_idempotent(world):
    first = operations.mark_not_relevant(db.session, world.enterprise, world.sem, "too_far",
                                         world.owner, utcnow())
    second = operations.mark_not_relevant(db.session, world.enterprise, world.sem,
                                          "too_expensive", world.member, utcnow())
    db.session.commit()
    assert first.id == second.id and second.reason == "too_far"
    assert _count(NotRelevant, organization_id=world.enterprise.id) == 1


def test_mark_not_relevant_refuses_an_unknown_reason(world):
    with pytest.raises(DomainError) as caught:
        operations.mark_not_relevant(db.session, world.enterprise, world.sem, "boring",
                                     world.owner, utcnow())
    assert caught.value.field == "reason"
    assert _count(NotRelevant) == 0


def test_mark_not_relevant_refuses_a_non_member(world):
    with pytest.raises(NotAllowedError):
        operations.mark_not_relevant(db.session, world.enterprise, world.sem, "too_far",
                                     make_user(), utcnow())
    assert _count(NotRelevant) == 0


def test_mark_not_relevant_refuses_own_listing(world):
    with pytest.raises(DomainError):
        operations.mark_not_relevant(db.session, world.enterprise, world.own_sem, "too_far",
                                     world.owner, utcnow())


def test_reasons_all_have_labels():
    assert set(REASON_LABELS) == set(NOT_RELEVANT_REASONS)


# ---------------------------------------------------------------------------------------------
# views
def test_record_view_counts_per_beijing_day(world):
    morning = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
    evening = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # 23:30 in Beijing, same day
    next_day = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 December in Beijing
    for now in (morning, evening, next_day):
        operations.record_view(db.session, world.hidden, world.xrd, now)
    db.session.commit()
    rows = db.session.execute(sa.select(ListingView.viewed_on, ListingView.views).where(
        ListingView.organization_id == world.hidden.id).order_by(ListingView.viewed_on)).all()
    assert [(str(day), views) for day, views in rows] == [("2026-12-01", 2), ("2026-12-02", 1)]


def test_record_view_ignores_own_listing_and_no_organisation(world):
    operations.record_view(db.session, world.enterprise, world.own_sem, utcnow())
    operations.record_view(db.session, None, world.sem, utcnow())
    db.session.commit()
    assert _count(ListingView, listing_id=world.own_sem.id) == 0
    assert _count(ListingView, organization_id=world.hidden.id) == 0


def test_record_view_recovers_from_a_concurrent_first_view(world, monkeypatch):
    now = utcnow()
    operations.record_view(db.session, world.hidden, world.xrd, now)
    db.session.commit()
    # the increment misses once (as if the other request's row were not visible yet): the insert
    # then collides with the unique row and the operation increments instead
    real = operations._increment_view
    calls = []

    def first_miss(*args):
        calls.append(args)
        return False if len(calls) == 1 else real(*args)

    monkeypatch.setattr(operations, "_increment_view", first_miss)
    operations.record_view(db.session, world.hidden, world.xrd, now)
    db.session.commit()
    assert db.session.scalar(sa.select(ListingView.views).where(
        ListingView.organization_id == world.hidden.id)) == 2


# ---------------------------------------------------------------------------------------------
# digest
def test_digest_sent_once_per_week_in_each_members_language(world, outbox):
    monday = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    sent = operations.send_weekly_digests(db.session, monday)
    db.session.commit()
    assert sent >= 1
    mine = [m for m in outbox() if m.recipient in (world.owner.email, world.member.email)]
    assert sorted(m.recipient for m in mine) == sorted([world.owner.email, world.member.email])
    english = next(m for m in mine if m.recipient == world.member.email)
    assert english.subject.startswith("This week's recommendations")
    assert world.sem.title_en in english.body and "Matches your profile" in english.body
    assert f"/listings/{world.sem.id}\n" in english.body
    assert f"/listings/{world.own_sem.id}\n" not in english.body
    assert db.session.scalar(sa.select(DigestSent.iso_week).where(
        DigestSent.organization_id == world.enterprise.id)) == "2026-W49"

    count = len(outbox())
    assert operations.send_weekly_digests(db.session, monday + timedelta(days=3)) == 0
    db.session.commit()
    assert len(outbox()) == count
    assert operations.send_weekly_digests(db.session, monday + timedelta(days=7)) == sent
    db.session.commit()
    assert len(outbox()) > count


def test_digest_skips_unverified_and_non_enterprises(world, outbox):
    operations.send_weekly_digests(db.session, utcnow())
    db.session.commit()
    got = {row for row in db.session.scalars(sa.select(DigestSent.organization_id))}
    assert world.enterprise.id in got
    assert not got & {world.pending.id, world.university.id, world.park.id, world.maker.id}
