"""The visitors' page cache (marketplace.pagecache): hits, what never uses it, the per-visitor
CSRF token, and the catalogue generation that makes an edit show at once (triggers on every
catalogue table, ORM and Core writes alike)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_caching.backends import SimpleCache

from listings.models import CATALOGUE_TABLES, Listing, ListingStatus
from marketplace.extensions import utcnow
from marketplace.pagecache import HEADER, catalogue_generation
from tests.factories import make_instrument, make_organization, make_user

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def page_cache(app):
    """The cache on for one test (TestConfig keeps it off), empty."""
    app.extensions["page_cache"] = SimpleCache(threshold=100, default_timeout=60)
    yield app.extensions["page_cache"]
    app.extensions["page_cache"] = None


@pytest.fixture
def instrument(db):
    lab = make_organization(make_user(), name_zh="长治学院分析测试中心")
    listing = make_instrument(lab, title_zh="场发射扫描电子显微镜", title_en="Field emission SEM")
    db.session.commit()
    return listing


def get(client, path):
    response = client.get(path)
    return response, response.headers.get(HEADER), response.get_data(as_text=True)


def test_a_visitors_second_search_is_served_from_the_cache(app, client, page_cache, instrument):
    first, state1, body1 = get(client, "/search?q=电子显微镜")
    second, state2, body2 = get(client, "/search?q=电子显微镜")
    assert (first.status_code, state1, second.status_code, state2) == (200, "miss", 200, "hit")
    assert f'href="/listings/{instrument.id}"' in body2  # the hit is the result page
    assert TOKEN.sub("", body1) == TOKEN.sub("", body2)
    # another query, another language: other entries
    assert get(client, "/search?q=显微镜")[1] == "miss"
    client.post("/language", data={"lang": "en"})
    _response, state, body = get(client, "/search?q=电子显微镜")
    assert state == "miss" and 'lang="en"' in body


def test_each_visitor_gets_their_own_working_csrf_token(app, page_cache, instrument, csrf_enabled):
    alice, bob = app.test_client(), app.test_client()
    _r, state_a, body_a = get(alice, "/search?q=显微镜")
    _r, state_b, body_b = get(bob, "/search?q=显微镜")
    assert (state_a, state_b) == ("miss", "hit")
    token_a, token_b = TOKEN.search(body_a)[1], TOKEN.search(body_b)[1]
    assert token_a != token_b
    assert app.extensions["page_cache_marker"] not in body_a + body_b
    # bob's token, from the cached page, works for bob's form and not for alice's session
    assert bob.post("/language", data={"lang": "en", "csrf_token": token_b}).status_code == 302
    assert alice.post("/language", data={"lang": "en", "csrf_token": token_b}).status_code == 400


def test_an_edit_shows_at_once_through_orm_and_core_writes(db, client, page_cache, instrument):
    assert get(client, f"/listings/{instrument.id}")[1] == "miss"
    assert get(client, f"/listings/{instrument.id}")[1] == "hit"
    before = catalogue_generation()
    instrument.title_zh = "冷场发射扫描电镜"
    db.session.commit()
    assert catalogue_generation() != before
    _r, state, body = get(client, f"/listings/{instrument.id}")
    assert state == "miss" and "冷场发射扫描电镜" in body
    # a Core statement (no ORM events) on a kind's own table
    db.session.execute(sa.text("UPDATE instruments SET manufacturer = '长治仪器厂' WHERE id = :id"),
                       {"id": instrument.id})
    db.session.commit()
    _r, state, body = get(client, f"/listings/{instrument.id}")
    assert state == "miss" and "长治仪器厂" in body
    # archived: the visitor gets the 404 at once, not the cached page
    db.session.execute(sa.update(Listing).where(Listing.id == instrument.id)
                       .values(status=ListingStatus.ARCHIVED, archived_at=utcnow()))
    db.session.commit()
    assert client.get(f"/listings/{instrument.id}").status_code == 404


def test_an_organisation_rename_changes_the_generation(db, client, page_cache, instrument):
    get(client, "/search?q=显微镜")
    instrument.organization.name_zh = "长治学院大型仪器共享平台"
    db.session.commit()
    _r, state, body = get(client, "/search?q=显微镜")
    assert state == "miss" and "长治学院大型仪器共享平台" in body and "长治学院分析测试中心" not in body


def test_every_catalogue_table_has_its_trigger(db, instrument):
    """A write to each table the cache depends on adds to catalogue_changes (statement
    triggers on PostgreSQL, row triggers on SQLite)."""
    for table in CATALOGUE_TABLES:
        before = catalogue_generation()
        db.session.execute(sa.text(f'UPDATE "{table}" SET id = id'))  # touches every row, if any
        db.session.execute(sa.text(f'DELETE FROM "{table}" WHERE id = -1'))
        db.session.commit()
        changed = catalogue_generation() != before
        has_rows = db.session.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar() > 0
        postgresql = db.engine.dialect.name == "postgresql"
        # PostgreSQL notes every statement; SQLite notes rows, so an empty table notes nothing
        assert changed == (postgresql or has_rows), table


def test_signed_in_users_and_pending_messages_bypass_the_cache(app, client, auth, page_cache,
                                                                instrument):
    get(client, "/search?q=显微镜")
    user = make_user(name="王经理")
    from marketplace.extensions import db

    db.session.commit()
    auth.login_as(user)
    _r, state, body = get(client, "/search?q=显微镜")
    assert state == "bypass" and "王经理" in body
    auth.logout()  # flashes "signed out": the next page shows it, uncached
    _r, state, _body = get(client, "/search?q=显微镜")
    assert state == "bypass"
    assert get(client, "/search?q=显微镜")[1] == "hit"


def test_only_full_pages_are_kept(client, page_cache, instrument):
    assert client.get("/listings/999999").status_code == 404
    assert client.get("/listings/999999").headers.get(HEADER) is None
    assert len(page_cache._cache) == 0


def test_a_late_commit_below_the_newest_id_still_changes_the_generation(app, db):
    """Ids are taken in one order and committed in another: the count sees the late one."""
    from listings.models import CatalogueChange

    db.session.add_all([CatalogueChange(id=i) for i in (1, 3)])
    db.session.commit()
    before = catalogue_generation()
    db.session.add(CatalogueChange(id=2))  # as if its transaction committed last
    db.session.commit()
    assert catalogue_generation() != before
    assert catalogue_generation()[0] == before[0] == 3
