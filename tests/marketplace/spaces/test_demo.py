"""The demo leasing: a confirmed and an open viewing, an accepted offer (one lease) and an open
offer; loading twice changes nothing and the free area stays what leasing left."""

from __future__ import annotations

import sqlalchemy as sa

from listings import search
from listings.models import Space
from marketplace.demo import load_demo
from marketplace.demo_spaces import B2, WAREHOUSE
from marketplace.extensions import db
from marketplace.spaces.models import Lease, LeaseOffer, LeaseOfferStatus, Viewing, ViewingStatus


def _counts():
    return {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Viewing, LeaseOffer, Lease)}


def test_demo_leasing_is_made_once_and_keeps_the_free_area(app):
    load_demo()
    db.session.commit()
    first = _counts()
    load_demo()
    db.session.commit()
    assert _counts() == first == {"space_viewings": 2, "space_lease_offers": 2, "space_leases": 1}
    b2 = db.session.scalars(sa.select(Space).where(Space.title_zh == B2)).one()
    assert b2.area_free_m2 == b2.area_m2 - 600
    lease = db.session.scalars(sa.select(Lease)).one()
    assert lease.space_id == b2.id and lease.area_m2 == 600
    statuses = sorted(str(v.status) for v in db.session.scalars(sa.select(Viewing)))
    assert statuses == [ViewingStatus.ACCEPTED, ViewingStatus.REQUESTED]
    open_offer = db.session.scalars(sa.select(LeaseOffer).where(
        LeaseOffer.status == LeaseOfferStatus.SUBMITTED)).one()
    assert open_offer.space.title_zh == WAREHOUSE
    found = search.search(app.config["SEARCH_INDEX_DIR"],
                          search.SearchRequest(text="B2栋", kind="space")).ids
    assert b2.id in found  # 600 m² still free: still in search
