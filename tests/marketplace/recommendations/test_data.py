"""Rows → matching records."""

from __future__ import annotations

import sqlalchemy as sa

from listings.models import Listing
from marketplace.extensions import db, utcnow
from marketplace.recommendations import data, operations
from marketplace.reference import areas


def test_items_are_the_open_listings_with_zones_as_districts(world):
    world.sem.district_code = "140403403"  # a development zone in 潞州区
    world.xrd.archive(utcnow())
    db.session.commit()
    items = {item.id: item for item in data.load_items(db.session, now=utcnow())}
    assert world.xrd.id not in items
    sem = items[world.sem.id]
    assert sem.district == "140403" and sem.kind == "instrument"
    assert sem.category == "electron_microscopy" and sem.accepts_vouchers
    assert "扫描电镜" in sem.words and sem.price_fen == world.sem.rate_external_fen
    assert items[world.warehouse.id].kind == "space"


def test_parties_are_verified_customers_with_their_needs_text(world):
    parties = {p.id: p for p in data.load_parties(db.session)}
    assert world.enterprise.id in parties and world.maker.id in parties
    assert world.pending.id not in parties and world.park.id not in parties
    assert "能谱" in parties[world.enterprise.id].words


def test_not_relevant_is_a_negative_interaction(world):
    operations.mark_not_relevant(db.session, world.enterprise, world.warehouse, "wrong_field",
                                 world.owner, utcnow())
    db.session.commit()
    dataset = data.load_dataset(db.session, utcnow())
    kinds = {(i.party_id, i.item_id): i.kind for i in dataset.interactions}
    assert kinds[(world.enterprise.id, world.warehouse.id)] == "not_relevant"
    assert kinds[(world.peers[0].id, world.sem.id)] == "view"
    assert all(i.at.tzinfo is not None for i in dataset.interactions)


def test_open_listing_ids_rechecks_the_database(world):
    world.sem.archive(utcnow())
    db.session.commit()
    open_ids = data.open_listing_ids(db.session, [world.sem.id, world.xrd.id], utcnow())
    assert open_ids == {world.xrd.id}
    assert db.session.get(Listing, world.sem.id) is not None


def test_neighbours_are_symmetric_and_cover_every_district():
    near = data.neighbours()
    districts = {a.code for a in areas() if not a.is_zone}
    assert set(near) == districts
    for code, others in near.items():
        assert code not in others
        assert all(code in near[other] for other in others)
    assert data.is_neighbour("140403", "140404")  # 潞州区 and 上党区
    assert not data.is_neighbour("140431", "140425")  # 沁源县 and 平顺县


def test_synonym_groups_are_token_tuples():
    groups = data.synonym_tokens()
    assert groups and all(len(group) >= 2 for group in groups)
    assert any(("sem",) in group for group in groups)


def test_loading_uses_a_bounded_number_of_queries(world):
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        data.load_dataset(db.session, utcnow())
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) < 30  # a handful per table, not one per row
