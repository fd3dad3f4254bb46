"""Concurrent accepts (issue 6, "no two leases may exceed the listed area"): worker threads each
push their own application context (own session and connection) and accept as a request would:
one transaction per attempt, committed on success, rolled back on a refusal.

(a) 10 offers whose total area exceeds the space, accepted at the same moment: the leased area
    never exceeds the listed area and ``area_free_m2`` = listed − leased;
(b) one offer's accept sent 10 times at once (a double click): one lease, every answer that lease.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from listings.models import Space
from marketplace.auth.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.spaces import operations as ops
from marketplace.spaces.models import Lease, LeaseOffer, LeaseOfferStatus
from tests.factories import make_organization, make_user
from tests.marketplace.bookings.concurrency import report, run_in_threads
from tests.marketplace.spaces.helpers import make_leasing, start_in

pytestmark = pytest.mark.usefixtures("fast_passwords")

LISTED = 2_000
AREAS = (300, 500, 250, 450, 600, 350, 200, 400, 550, 500)  # 4,100 m² asked for 2,000


def _accept(offer_id: int, landlord_id: int):
    session = db.session
    with force_locale("en"):
        offer = session.get(LeaseOffer, offer_id)
        try:
            lease = ops.accept_lease_offer(session, offer, session.get(User, landlord_id),
                                           now=utcnow())
            result = ("accepted", lease.id, lease.area_m2)
            session.commit()
            return result
        except DomainError as error:
            session.rollback()
            return (error.code, None, 0)


def _offers(w, areas):
    made = []
    for i, area in enumerate(areas):
        user = make_user()
        org = make_organization(user)
        made.append(ops.make_lease_offer(db.session, w.space, user, organization=org,
                                         area_m2=area, term_months=12, start_date=start_in(),
                                         deposit_fen=0, key=f"race-{i}", now=utcnow()))
    db.session.commit()
    return [o.id for o in made]


def test_racing_accepts_never_lease_more_than_the_listed_area(app, db, request):
    w = make_leasing(area_m2=LISTED)
    offer_ids = _offers(w, AREAS)
    space_id, landlord_id = w.space.id, w.landlord.id
    db.session.close()  # the main thread holds no connection while the workers run

    outcomes = run_in_threads(app, len(AREAS), lambda i: _accept(offer_ids[i], landlord_id))
    errors = [f"thread {o.index}: {o.error!r}" for o in outcomes if o.error is not None]
    assert not errors, errors
    results = [o.value for o in outcomes]
    accepted = [r for r in results if r[0] == "accepted"]
    refused = [r for r in results if r[0] != "accepted"]
    leased = int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Lease.area_m2), 0))
                                   .where(Lease.space_id == space_id)))
    space = db.session.get(Space, space_id)
    oversold = max(leased - LISTED, 0)
    report(request, "spaces-race",
           f"spaces: {len(AREAS)} racing accepts for {LISTED:,} m² ({sum(AREAS):,} m² offered), "
           f"accepted {len(accepted)}, refused {len(refused)}, leased {leased:,} m² ≤ "
           f"{LISTED:,}, free {space.area_free_m2:,} m², oversold {oversold}")
    assert oversold == 0
    assert space.area_free_m2 == LISTED - leased
    assert leased == sum(r[2] for r in accepted)
    assert {r[0] for r in refused} <= {"area_unavailable"}
    # every refusal was right: the offer asked for more than was left in the end
    assert all(AREAS[i] > space.area_free_m2 for i, r in enumerate(results)
               if r[0] != "accepted")
    statuses = db.session.scalars(sa.select(LeaseOffer.status)).all()
    assert statuses.count(LeaseOfferStatus.ACCEPTED) == len(accepted)
    assert len(accepted) >= 1


def test_double_click_accept_makes_one_lease(app, db, request):
    w = make_leasing(area_m2=LISTED)
    (offer_id,) = _offers(w, (1_200,))
    landlord_id, space_id = w.landlord.id, w.space.id
    db.session.close()

    outcomes = run_in_threads(app, 10, lambda i: _accept(offer_id, landlord_id))
    errors = [f"thread {o.index}: {o.error!r}" for o in outcomes if o.error is not None]
    assert not errors, errors
    answers = {o.value for o in outcomes}
    leases = db.session.scalar(sa.select(sa.func.count()).select_from(Lease))
    free = db.session.get(Space, space_id).area_free_m2
    report(request, "spaces-double-click",
           f"spaces: the same accept sent 10 times at once: leases {leases}, distinct answers "
           f"{len(answers)}, free {free:,} of {LISTED:,} m²")
    assert leases == 1 and len(answers) == 1 and next(iter(answers))[0] == "accepted"
    assert free == LISTED - 1_200
