"""Needs in the real search index: verified providers find them by the words of their
description (kind=need), anonymous visitors and members of unverified organisations do not (HTML
search, the API, suggestions), and a solved or archived need leaves the index."""

from __future__ import annotations

from marketplace.extensions import db, utcnow
from marketplace.needs import operations
from marketplace.publishing import operations as publishing
from tests.marketplace.needs.helpers import post_need, propose

WORDS = "等离子喷涂"  # from the need's description only


def _as(client, auth, user):
    auth.logout()
    if user is not None:
        auth.login_as(user)


def _api_ids(client, **params):
    response = client.get("/api/v1/listings", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["results"]]


def test_verified_provider_finds_a_need_by_its_description(client, auth, world):
    need = post_need(world, title_zh="轴承座问题", title_en="Bearing housing problem")
    _as(client, auth, world.uni_owner)
    assert need.id in _api_ids(client, q=WORDS, kind="need")
    assert need.id in _api_ids(client, q=WORDS)
    page = client.get("/search", query_string={"q": WORDS, "kind": "need"})
    assert page.status_code == 200 and f"/listings/{need.id}" in page.get_data(as_text=True)
    suggestions = client.get("/api/v1/suggest", query_string={"q": "轴承"}).get_json()
    assert str(need.id) in [str(item.get("id")) for item in suggestions["suggestions"]]


def test_anonymous_and_unverified_users_do_not_find_needs(client, auth, world):
    need = post_need(world, title_zh="轴承座问题", title_en="Bearing housing problem")
    for user in (None, world.plain, world.pending_owner):
        _as(client, auth, user)
        assert client.get("/api/v1/listings", query_string={"kind": "need"}).status_code == 403
        assert need.id not in _api_ids(client, q=WORDS)
        page = client.get("/search", query_string={"q": WORDS, "kind": "need"})
        assert page.status_code == 200
        assert f"/listings/{need.id}" not in page.get_data(as_text=True)
        suggestions = client.get("/api/v1/suggest", query_string={"q": "轴承"}).get_json()
        assert "轴承座问题" not in [item["text"] for item in suggestions["suggestions"]]
        assert client.get(f"/api/v1/listings/{need.id}").status_code == 404


def test_a_solved_need_leaves_search(client, auth, world):
    need = post_need(world)
    proposal = propose(world, need)
    _as(client, auth, world.uni_owner)
    assert need.id in _api_ids(client, q=WORDS, kind="need")
    operations.solve_need(db.session, need, world.ent_owner, proposal_id=proposal.id,
                          now=utcnow())
    db.session.commit()
    assert need.id not in _api_ids(client, q=WORDS, kind="need")
    assert need.id not in _api_ids(client, q=WORDS)


def test_an_archived_need_leaves_search_and_comes_back_when_published(client, auth, world):
    need = post_need(world)
    _as(client, auth, world.maker_owner)
    publishing.archive_listing(need, world.ent_owner)
    db.session.commit()
    assert need.id not in _api_ids(client, q=WORDS, kind="need")
    publishing.publish_listing(need, world.ent_owner)
    db.session.commit()
    assert need.id in _api_ids(client, q=WORDS, kind="need")
