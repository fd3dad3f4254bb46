"""The needs pages: posting through publishing, the need's page for each kind of visitor, the
proposal actions (allowed and denied), bad input, "my needs" and "my proposals", both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from listings.models import Need
from marketplace.extensions import db, utcnow
from marketplace.needs import operations
from marketplace.needs.models import NeedProposal, ProposalStatus
from tests.marketplace.needs.helpers import SHANGHAI_TODAY, post_need, propose


def _as(client, auth, user):
    auth.logout()
    if user is not None:
        auth.login_as(user)


def _lang(client, lang):
    assert client.post("/language", data={"lang": lang, "next": "/"}).status_code == 302


def _need_form(**changes):
    data = {"organization_id": "", "title_zh": "寻求耐磨涂层", "title_en": "Wear coating wanted",
            "description": "轴承座磨损", "district_code": "140403", "tags": "涂层",
            "solution_kinds": ["technology", "instrument_time"], "budget_fen": "200,000",
            "deadline": (SHANGHAI_TODAY() + timedelta(days=20)).isoformat()}
    data.update(changes)
    return data


def _count(model=NeedProposal) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- posting -------------------------------------------------------------------------------------
def test_enterprise_posts_edits_publishes_and_archives_a_need(client, auth, world):
    _as(client, auth, world.ent_owner)
    page = client.get("/listings/new/need")
    assert page.status_code == 200 and 'data-testid="need-form"' in page.get_data(as_text=True)
    response = client.post("/listings/new/need",
                           data=_need_form(organization_id=str(world.enterprise.id)))
    assert response.status_code == 302
    need = db.session.scalars(sa.select(Need)).one()
    assert need.budget_fen == 20_000_000 and need.solution_kinds == ["instrument_time",
                                                                     "technology"]
    edit = client.get(f"/listings/{need.id}/edit")
    assert edit.status_code == 200 and "200000" in edit.get_data(as_text=True).replace(",", "")
    assert client.post(f"/listings/{need.id}/edit",
                       data=_need_form(budget_fen="", title_zh="改过")).status_code == 302
    assert client.post(f"/listings/{need.id}/publish").status_code == 302
    db.session.expire_all()
    need = db.session.get(Need, need.id)
    assert need.budget_fen is None and need.title_zh == "改过" and need.is_open
    assert client.post(f"/listings/{need.id}/archive").status_code == 302
    db.session.expire_all()
    assert not db.session.get(Need, need.id).is_published


@pytest.mark.parametrize(("changes", "field"), [
    ({"solution_kinds": []}, "solution_kinds"),
    ({"budget_fen": "-5"}, "budget_fen"),
    ({"budget_fen": "lots"}, "budget_fen"),
    ({"deadline": ""}, "deadline"),
    ({"deadline": "2020-01-01"}, "deadline"),
    ({"deadline": "not a date"}, "deadline"),
])
def test_need_form_bad_input(client, auth, world, changes, field):
    _as(client, auth, world.ent_owner)
    response = client.post("/listings/new/need",
                           data=_need_form(organization_id=str(world.enterprise.id), **changes))
    assert response.status_code == 200
    assert 'is-invalid' in response.get_data(as_text=True) or "text-danger" in response.get_data(
        as_text=True)
    assert _count(Need) == 0


def test_a_university_cannot_post_a_need(client, auth, world):
    _as(client, auth, world.uni_owner)
    assert client.get("/listings/new/need").status_code == 302  # no fitting organisation


# --- the need's page -----------------------------------------------------------------------------
def test_need_page_visibility(client, auth, world):
    need = post_need(world)
    url = f"/listings/{need.id}"
    assert client.get(url).status_code == 404
    for user, status in ((world.plain, 404), (world.pending_owner, 404), (world.uni_owner, 200),
                         (world.officer, 200), (world.ent_member, 200)):
        _as(client, auth, user)
        assert client.get(url).status_code == status, user.email


def test_need_page_in_both_languages_for_provider_and_owner(client, auth, world):
    need = post_need(world)
    propose(world, need)
    for lang, words in (("zh_CN", ["寻求陶瓷涂层耐磨技术"]),
                        ("en", ["Wear-resistant ceramic coating wanted", "Budget",
                                "Answers wanted by", "Your proposals"])):
        _as(client, auth, world.uni_owner)
        _lang(client, lang)
        text = client.get(f"/listings/{need.id}").get_data(as_text=True)
        assert 'data-testid="own-proposal"' in text
        for word in words:
            assert word in text
    _as(client, auth, world.maker_owner)
    text = client.get(f"/listings/{need.id}").get_data(as_text=True)
    assert 'data-testid="propose-form"' not in text  # no published listing to link
    _as(client, auth, world.ent_owner)
    _lang(client, "en")
    text = client.get(f"/listings/{need.id}").get_data(as_text=True)
    for testid in ("proposal", "shortlist", "solve", "decline-form"):
        assert f'data-testid="{testid}"' in text
    assert "我们的专利可以解决" in text and 'data-testid="propose-form"' not in text
    _as(client, auth, world.officer)  # officers look, they do not act
    text = client.get(f"/listings/{need.id}").get_data(as_text=True)
    assert 'data-testid="proposal"' in text and 'data-testid="solve"' not in text


def test_conversation_button_only_when_the_route_exists(client, auth, world, app):
    need = post_need(world)
    propose(world, need)
    _as(client, auth, world.ent_owner)
    text = client.get(f"/listings/{need.id}").get_data(as_text=True)
    exists = "conversations.start" in app.view_functions
    assert ('data-testid="converse"' in text) == exists
    if exists:  # the owner opens a conversation with the provider about the need
        assert f'name="with_organization_id" value="{world.university.id}"' in text
        response = client.post(f"/conversations/start/{need.id}",
                               data={"with_organization_id": str(world.university.id)})
        assert response.status_code == 302
        assert "/conversations/" in response.headers["Location"]


# --- proposing -----------------------------------------------------------------------------------
def _proposal_form(world, **changes):
    data = {"organization_id": str(world.university.id), "listing_ids": [str(world.patent.id)],
            "message": "我们的专利正好解决这个问题", "price_fen": "80,000"}
    data.update(changes)
    return data


def test_provider_proposes_through_the_page(client, auth, world, outbox):
    need = post_need(world)
    _as(client, auth, world.uni_owner)
    text = client.get(f"/listings/{need.id}").get_data(as_text=True)
    assert 'data-testid="propose-form"' in text and 'data-testid="propose-submit"' in text
    response = client.post(f"/needs/{need.id}/proposals", data=_proposal_form(world))
    assert response.status_code == 302
    again = client.post(f"/needs/{need.id}/proposals", data=_proposal_form(world))
    assert again.status_code == 302
    assert _count() == 1
    proposal = db.session.scalars(sa.select(NeedProposal)).one()
    assert proposal.price_fen == 8_000_000 and [x.id for x in proposal.listings] == [
        world.patent.id]
    assert any(m.recipient == world.ent_owner.email for m in outbox())
    text = client.get(f"/listings/{need.id}").get_data(as_text=True)
    assert 'data-testid="propose-form"' not in text  # one open proposal per organisation


@pytest.mark.parametrize(("changes", "status"), [
    ({"message": ""}, 400),
    ({"message": "长" * 4001}, 400),
    ({"listing_ids": []}, 400),
    ({"listing_ids": ["999999"]}, 400),
    ({"listing_ids": ["abc"]}, 400),
    ({"price_fen": "-1"}, 400),
    ({"price_fen": "free"}, 400),
    ({"organization_id": "999999"}, 400),
    ({"organization_id": "x"}, 400),
])
def test_proposal_bad_input(client, auth, world, changes, status):
    need = post_need(world)
    _as(client, auth, world.uni_owner)
    response = client.post(f"/needs/{need.id}/proposals", data=_proposal_form(world, **changes))
    assert response.status_code == status
    assert _count() == 0


def test_proposal_linking_another_organisations_listing_is_refused(client, auth, world):
    need = post_need(world)
    other = post_need(world, title_zh="另一个")
    _as(client, auth, world.uni_owner)
    response = client.post(f"/needs/{need.id}/proposals",
                           data=_proposal_form(world, listing_ids=[str(other.id)]))
    assert response.status_code == 400 and _count() == 0


@pytest.mark.parametrize(("who", "status"), [
    (None, 302), ("plain", 404), ("pending_owner", 404), ("ent_owner", 403),
    ("ent_member", 403), ("officer", 403),
])
def test_who_may_not_propose(client, auth, world, who, status):
    need = post_need(world)
    _as(client, auth, getattr(world, who) if who else None)
    response = client.post(f"/needs/{need.id}/proposals", data=_proposal_form(world))
    assert response.status_code == status
    if who is None:
        assert "/auth/login" in response.headers["Location"]
    assert _count() == 0


def test_no_proposal_on_a_solved_need(client, auth, world):
    need = post_need(world)
    proposal = propose(world, need)
    operations.solve_need(db.session, need, world.ent_owner, proposal_id=proposal.id,
                          now=utcnow())
    db.session.commit()
    _as(client, auth, world.uni_owner)  # the winner still sees the need, solved
    text = client.get(f"/listings/{need.id}").get_data(as_text=True)
    assert 'data-testid="need-solved"' in text and 'data-testid="propose-form"' not in text
    assert client.post(f"/needs/{need.id}/proposals",
                       data=_proposal_form(world)).status_code == 409
    _as(client, auth, world.maker_owner)  # a verified provider that did not propose: gone
    assert client.get(f"/listings/{need.id}").status_code == 404
    _as(client, auth, world.ent_owner)
    text = client.get(f"/listings/{need.id}").get_data(as_text=True)
    assert 'data-testid="need-solved"' in text and 'data-testid="solve"' not in text


def test_no_proposal_after_the_deadline(client, auth, world):
    need = post_need(world)
    need.deadline = SHANGHAI_TODAY() - timedelta(days=1)
    db.session.commit()
    _as(client, auth, world.uni_owner)
    assert 'data-testid="propose-form"' not in client.get(f"/listings/{need.id}").get_data(
        as_text=True)
    assert client.post(f"/needs/{need.id}/proposals",
                       data=_proposal_form(world)).status_code == 409
    assert _count() == 0


# --- the owner's actions -------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "status"), [
    (None, 302), ("plain", 404), ("uni_owner", 403), ("maker_owner", 404), ("officer", 403),
])
def test_who_may_not_answer_proposals(client, auth, world, who, status):
    need = post_need(world)
    proposal = propose(world, need)
    _as(client, auth, getattr(world, who) if who else None)
    for url, data in ((f"/needs/proposals/{proposal.id}/shortlist", {}),
                      (f"/needs/proposals/{proposal.id}/decline", {"reason": "price"}),
                      (f"/needs/{need.id}/solve", {"proposal_id": str(proposal.id)})):
        response = client.post(url, data=data)
        expected = 403 if who == "maker_owner" and "/solve" in url else status
        assert response.status_code == expected, url
    db.session.expire_all()
    assert db.session.get(NeedProposal, proposal.id).status == ProposalStatus.SUBMITTED


def test_owner_shortlists_declines_and_the_provider_sees_the_feedback(client, auth, world):
    need = post_need(world)
    proposal = propose(world, need)
    _as(client, auth, world.ent_member)
    assert client.post(f"/needs/proposals/{proposal.id}/shortlist").status_code == 302
    db.session.expire_all()
    assert db.session.get(NeedProposal, proposal.id).status == ProposalStatus.SHORTLISTED
    for data in ({}, {"reason": "bored"}, {"reason": "price", "note": "长" * 1001}):
        assert client.post(f"/needs/proposals/{proposal.id}/decline", data=data).status_code == 400
    response = client.post(f"/needs/proposals/{proposal.id}/decline",
                           data={"reason": "not_our_field", "note": "方向不同"})
    assert response.status_code == 302
    assert client.post(f"/needs/proposals/{proposal.id}/shortlist").status_code == 409
    _as(client, auth, world.uni_owner)
    _lang(client, "en")
    for url in ("/needs/proposals", f"/listings/{need.id}"):
        text = client.get(url).get_data(as_text=True)
        assert 'data-testid="decline-feedback"' in text and "Not our field" in text
        assert "方向不同" in text


def test_owner_solves_the_need_naming_the_winner(client, auth, world):
    need = post_need(world)
    winner = propose(world, need)
    _as(client, auth, world.ent_owner)
    assert client.post(f"/needs/{need.id}/solve", data={}).status_code == 400
    assert client.post(f"/needs/{need.id}/solve",
                       data={"proposal_id": "999999"}).status_code == 400
    assert client.post(f"/needs/{need.id}/solve",
                       data={"proposal_id": str(winner.id)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Need, need.id).is_solved
    assert db.session.get(NeedProposal, winner.id).status == ProposalStatus.CHOSEN
    _as(client, auth, world.uni_owner)
    text = client.get("/needs/proposals").get_data(as_text=True)
    assert 'data-status="chosen"' in text


def test_provider_withdraws_and_the_owner_may_not(client, auth, world):
    need = post_need(world)
    proposal = propose(world, need)
    for user, status in ((world.ent_owner, 403), (world.plain, 404), (world.maker_owner, 404)):
        _as(client, auth, user)
        assert client.post(f"/needs/proposals/{proposal.id}/withdraw").status_code == status
    _as(client, auth, world.uni_owner)
    assert client.post(f"/needs/proposals/{proposal.id}/withdraw").status_code == 302
    assert client.post(f"/needs/proposals/{proposal.id}/withdraw").status_code == 302  # no-op
    db.session.expire_all()
    assert db.session.get(NeedProposal, proposal.id).status == ProposalStatus.WITHDRAWN
    assert client.post("/needs/proposals/999999/withdraw").status_code == 404


# --- lists ---------------------------------------------------------------------------------------
def test_my_needs_and_my_proposals_in_both_languages(client, auth, world):
    need = post_need(world)
    propose(world, need)
    assert client.get("/needs/mine").status_code == 302
    for lang, words in (("zh_CN", ["寻求陶瓷涂层耐磨技术"]), ("en", ["My needs", "Open proposals"])):
        _as(client, auth, world.ent_owner)
        _lang(client, lang)
        text = client.get("/needs/mine").get_data(as_text=True)
        assert 'data-testid="my-need"' in text and 'data-testid="open-count">1<' in text
        assert 'data-testid="needs-nav"' in text
        for word in words:
            assert word in text
    _as(client, auth, world.uni_owner)
    text = client.get("/needs/proposals").get_data(as_text=True)
    assert 'data-testid="proposal"' in text and 'data-testid="withdraw"' in text
    assert "Wear-resistant ceramic coating wanted" in text
    _as(client, auth, world.plain)
    assert client.get("/needs/proposals").status_code == 200
    assert client.get("/needs/mine").status_code == 200


def test_user_text_is_escaped_on_the_need_page(client, auth, world):
    need = post_need(world)
    proposal = propose(world, need, message="<script>alert(1)</script>")
    operations.decline_proposal(db.session, proposal, world.ent_owner, reason="other",
                                note="<b>不合适</b>", now=utcnow())
    db.session.commit()
    for user, url in ((world.ent_owner, f"/listings/{need.id}"),
                      (world.uni_owner, "/needs/proposals")):
        _as(client, auth, user)
        text = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
        assert "<b>不合适</b>" not in text and "&lt;b&gt;" in text


@pytest.mark.usefixtures("csrf_enabled")
def test_proposal_buttons_need_the_pages_csrf_token(client, auth, world):
    import re

    need = post_need(world)
    proposal = propose(world, need)
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    client.post("/auth/login", data={"email": world.ent_owner.email, "csrf_token": token,
                                     "password": "correct horse battery staple"})
    url = f"/needs/proposals/{proposal.id}/shortlist"
    assert client.post(url).status_code == 400
    page = client.get(f"/listings/{need.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(NeedProposal, proposal.id).status == ProposalStatus.SHORTLISTED
