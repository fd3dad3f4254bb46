"""Concurrent accepts (real threads, each with its own session and connection; on PostgreSQL
the technology row lock serialises them, on SQLite the writer lock): two accepts, or an accept
racing a withdraw, give one outcome — at most one agreement per offer, and an exclusive licence
is granted once."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale

from marketplace.auth.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.licensing import operations as ops
from marketplace.licensing.models import LicenceAgreement, LicenceOffer, OfferStatus
from tests.marketplace.bookings.concurrency import run_in_threads
from tests.marketplace.licensing.helpers import terms

THREADS = 6


def _act(action: str, offer_id: int, user_id: int):
    session = db.session
    with force_locale("en"):
        offer = session.get(LicenceOffer, offer_id)
        user = session.get(User, user_id)
        try:
            if action == "accept":
                result = ops.accept_offer(session, offer, user, now=utcnow()).id
            else:
                ops.withdraw_offer(session, offer, user, now=utcnow())
                result = "withdrawn"
            session.commit()
            return ("ok", result)
        except DomainError as error:
            session.rollback()
            return (error.code, None)


def _count_agreements() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(LicenceAgreement))


def test_simultaneous_accepts_conclude_one_agreement(app, scene):
    offer = ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(), now=utcnow())
    db.session.commit()
    ids = (offer.id, scene.owner.id)
    db.session.close()
    outcomes = run_in_threads(app, THREADS, lambda i: _act("accept", *ids))
    assert not [o.error for o in outcomes if o.error is not None]
    results = [o.value[0] for o in outcomes]
    assert results.count("ok") == 1 and set(results) <= {"ok", "conflict", "invalid_state"}
    assert _count_agreements() == 1


def test_accept_racing_withdraw_has_one_outcome(app, scene):
    offer = ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(), now=utcnow())
    db.session.commit()
    oid, owner, buyer = offer.id, scene.owner.id, scene.buyer.id
    db.session.close()
    outcomes = run_in_threads(
        app, 2, lambda i: _act("accept", oid, owner) if i == 0 else _act("withdraw", oid, buyer))
    assert not [o.error for o in outcomes if o.error is not None]
    assert [o.value[0] for o in outcomes].count("ok") == 1
    status = db.session.get(LicenceOffer, oid).status
    assert (status == OfferStatus.ACCEPTED) == (_count_agreements() == 1)
    assert status in (OfferStatus.ACCEPTED, OfferStatus.WITHDRAWN)


def test_two_exclusive_offers_accepted_at_once_grant_one_licence(app, scene):
    first = ops.make_offer(db.session, scene.technology, scene.buyer,
                           terms=terms(mode="exclusive"), now=utcnow())
    second = ops.make_offer(db.session, scene.technology, scene.rival,
                            terms=terms(mode="exclusive"), now=utcnow())
    db.session.commit()
    ids = [first.id, second.id]
    owner = scene.owner.id
    db.session.close()
    outcomes = run_in_threads(app, 2, lambda i: _act("accept", ids[i], owner))
    assert not [o.error for o in outcomes if o.error is not None]
    assert [o.value[0] for o in outcomes].count("ok") == 1
    assert _count_agreements() == 1
    statuses = sorted(db.session.get(LicenceOffer, i).status.value for i in ids)
    assert statuses == ["accepted", "closed"]
