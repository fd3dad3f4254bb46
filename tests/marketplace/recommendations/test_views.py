"""The recommendation panels and actions: the dashboard's "recommended for you" (per kind, both
languages, with reasons), "not relevant" (the item leaves, bad input refused), a need's "could
solve it" for its owner, a listing's "enterprises likely to need it" for its organisation with
the invite (allowed and denied), the listing views the page records, the discoverable checkbox.

The real service serves (content similarity fitted from the database: the tests have no trained
artifact); the service is reset before each test so each test's data is fitted afresh.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.conversations.models import Conversation
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import Organization, OrganizationKind
from marketplace.publishing import operations as publishing
from marketplace.recommendations import service
from marketplace.recommendations.models import ListingView, NotRelevant
from tests.factories import make_instrument, make_organization, make_user
from tests.marketplace.licensing.helpers import make_technology

SHANGHAI_TODAY = lambda: (utcnow() + timedelta(hours=8)).date()  # noqa: E731


@pytest.fixture(autouse=True)
def _fresh_service(db):
    service.reset()
    yield
    service.reset()


class World:
    """An enterprise that needs an SEM (discoverable), one that does not say so (not
    discoverable), a university with an SEM and a coal-gasification patent."""

    def __init__(self):
        self.ent_owner, self.ent_member = make_user(), make_user()
        self.enterprise = make_organization(
            self.ent_owner, members=(self.ent_member,), name_zh="长治轴承制造有限公司",
            needs="需要扫描电镜做断口分析和能谱分析", description="轴承制造，失效分析",
            discoverable=True)
        self.hidden_owner = make_user()
        self.hidden = make_organization(self.hidden_owner, name_zh="长治不公开的铸造公司",
                                        needs="需要扫描电镜做断口分析", discoverable=False)
        self.uni_owner = make_user()
        self.university = make_organization(self.uni_owner, kind=OrganizationKind.UNIVERSITY,
                                            name_zh="长治学院分析测试中心")
        self.sem = make_instrument(self.university, title_zh="场发射扫描电镜",
                                   title_en="Field-emission scanning electron microscope",
                                   summary_zh="扫描电镜 断口分析 能谱分析",
                                   summary_en="SEM for fracture analysis and EDS")
        self.patent = make_technology(self.university)
        self.plain = make_user()
        db.session.commit()


@pytest.fixture
def world(db):
    return World()


def _as(client, auth, user):
    auth.logout()
    if user is not None:
        auth.login_as(user)


def _lang(client, lang):
    assert client.post("/language", data={"lang": lang, "next": "/"}).status_code == 302


def _in(locale: str, message: str, **values) -> str:
    """A message as the page words it in that locale (whether or not it is translated yet)."""
    with force_locale(locale):
        return _(message, **values)


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _items(text: str, testid: str = "recommendation") -> int:
    return text.count(f'data-testid="{testid}"')


# --- the dashboard ------------------------------------------------------------------------------
def test_dashboard_recommends_with_reasons_in_both_languages(client, auth, world):
    _as(client, auth, world.ent_member)
    for locale, title in (("zh_CN", "场发射扫描电镜"),
                          ("en", "Field-emission scanning electron microscope")):
        _lang(client, locale)
        response = client.get("/dashboard")
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert f'data-listing-id="{world.sem.id}"' in text and title in text
        assert _in(locale, "Recommended for you") in text
        assert _in(locale, "Why recommended") in text
        assert 'data-testid="reason"' in text and 'data-testid="not-relevant-form"' in text
        with force_locale(locale):
            reasons = service.recommend_for_organization(world.enterprise)
        sem = next(r for r in reasons if r.listing.id == world.sem.id)
        for reason in sem.reasons:  # the service's own words, in the page's language
            assert reason.text in text
    assert 'lang="en"' in text


def test_dashboard_tabs_per_kind(client, auth, world):
    _as(client, auth, world.ent_owner)
    every = client.get("/dashboard").get_data(as_text=True)
    assert f'data-listing-id="{world.sem.id}"' in every
    only = client.get("/dashboard?rec_kind=instrument").get_data(as_text=True)
    assert f'data-listing-id="{world.sem.id}"' in only
    assert f'data-listing-id="{world.patent.id}"' not in only
    spaces = client.get("/dashboard?rec_kind=space").get_data(as_text=True)
    assert _items(spaces) == 0 and 'data-testid="no-recommendations"' in spaces
    # a bad tab or organisation in the query string is ignored, not an error
    for query in ("rec_kind=rocket", "rec_org=abc", "rec_org=99999999999999", "rec_kind=need"):
        text = client.get(f"/dashboard?{query}").get_data(as_text=True)
        assert f'data-listing-id="{world.sem.id}"' in text, query


def test_dashboard_panel_only_for_verified_enterprises(client, auth, world):
    for user in (world.uni_owner, world.plain):
        _as(client, auth, user)
        response = client.get("/dashboard")
        assert response.status_code == 200
        assert 'data-testid="recommendations"' not in response.get_data(as_text=True)


def test_dashboard_chooses_between_several_enterprises(client, auth, world):
    second = make_organization(world.ent_owner, name_zh="长治第二家企业", needs="需要厂房")
    db.session.commit()
    _as(client, auth, world.ent_owner)
    text = client.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="recommendations-org"' in text
    text = client.get(f"/dashboard?rec_org={second.id}").get_data(as_text=True)
    assert f'data-organization-id="{second.id}"' in text
    # someone else's organisation in the query string falls back to one's own
    text = client.get(f"/dashboard?rec_org={world.university.id}").get_data(as_text=True)
    assert f'data-organization-id="{world.university.id}"' not in text


# --- not relevant -------------------------------------------------------------------------------
def _not_relevant(client, org, listing, **data):
    return client.post(f"/recommendations/{org.id}/not-relevant/{listing.id}", data=data)


def test_not_relevant_removes_the_item(client, auth, world):
    _as(client, auth, world.ent_member)
    response = _not_relevant(client, world.enterprise, world.sem, reason="too_far",
                             kind="instrument")
    assert response.status_code == 302
    assert "/dashboard" in response.headers["Location"]
    assert "rec_kind=instrument" in response.headers["Location"]
    row = db.session.scalars(sa.select(NotRelevant)).one()
    assert (row.organization_id, row.listing_id, row.reason) == (world.enterprise.id,
                                                                 world.sem.id, "too_far")
    for url in ("/dashboard", "/dashboard?rec_kind=instrument"):
        assert f'data-listing-id="{world.sem.id}"' not in client.get(url).get_data(as_text=True)
    # again: answered, still one row
    assert _not_relevant(client, world.enterprise, world.sem, reason="wrong_field"
                         ).status_code == 302
    assert _count(NotRelevant) == 1


def test_not_relevant_answers_json_to_fetch(client, auth, world):
    _as(client, auth, world.ent_owner)
    response = client.post(f"/recommendations/{world.enterprise.id}/not-relevant/{world.sem.id}",
                           data={"reason": "already_have"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    assert _count(NotRelevant) == 1


@pytest.mark.parametrize("data", [{}, {"reason": "boring"}, {"reason": "too_far", "kind": "need"}])
def test_not_relevant_bad_input(client, auth, world, data):
    _as(client, auth, world.ent_owner)
    _lang(client, "en")
    response = _not_relevant(client, world.enterprise, world.sem, **data)
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)
    assert _count(NotRelevant) == 0


def test_not_relevant_refused_to_others(client, auth, world):
    for user, status in ((world.uni_owner, 403), (world.hidden_owner, 403), (world.plain, 403)):
        _as(client, auth, user)
        assert _not_relevant(client, world.enterprise, world.sem,
                             reason="too_far").status_code == status
    _as(client, auth, world.ent_owner)
    assert client.post(f"/recommendations/{world.enterprise.id}/not-relevant/999999",
                       data={"reason": "too_far"}).status_code == 404
    assert client.post(f"/recommendations/999999/not-relevant/{world.sem.id}",
                       data={"reason": "too_far"}).status_code == 404
    assert _count(NotRelevant) == 0
    auth.logout()
    response = _not_relevant(client, world.enterprise, world.sem, reason="too_far")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# --- the need's page (owner side) ---------------------------------------------------------------
def _post_need(world):
    need = publishing.create_listing(world.enterprise, world.ent_owner, "need", {
        "title_zh": "寻求轴承断口失效分析", "title_en": "Bearing fracture failure analysis",
        "description": "轴承断裂，需要扫描电镜观察断口并做能谱分析。", "district_code": "140403",
        "solution_kinds": ["instrument_time", "technology"], "budget_fen": 500_000,
        "deadline": SHANGHAI_TODAY() + timedelta(days=30)})
    publishing.publish_listing(need, world.ent_owner)
    db.session.commit()
    return need


def test_need_page_shows_what_could_solve_it_to_its_owner(client, auth, world):
    need = _post_need(world)
    _as(client, auth, world.ent_member)
    for locale in ("zh_CN", "en"):
        _lang(client, locale)
        text = client.get(f"/listings/{need.id}").get_data(as_text=True)
        assert 'data-testid="need-solutions"' in text
        assert _in(locale, "Could solve this need") in text
        assert f'data-testid="solution" data-listing-id="{world.sem.id}"' in text
        assert 'data-testid="reason"' in text
    _as(client, auth, world.uni_owner)  # a provider sees the need, not its owner's panel
    text = client.get(f"/listings/{need.id}").get_data(as_text=True)
    assert 'data-testid="need-solutions"' not in text


# --- the listing's page (its organisation) ------------------------------------------------------
def test_listing_page_shows_discoverable_enterprises_to_its_organisation(client, auth, world):
    _as(client, auth, world.uni_owner)
    for locale in ("zh_CN", "en"):
        _lang(client, locale)
        text = client.get(f"/listings/{world.sem.id}").get_data(as_text=True)
        assert 'data-testid="likely-enterprises"' in text
        assert _in(locale, "Enterprises likely to need it") in text
        assert f'data-organization-id="{world.enterprise.id}"' in text
        assert f'data-organization-id="{world.hidden.id}"' not in text  # not discoverable
        assert 'data-testid="invite"' in text and 'data-testid="reason"' in text
    _as(client, auth, world.ent_owner)
    text = client.get(f"/listings/{world.sem.id}").get_data(as_text=True)
    assert 'data-testid="likely-enterprises"' not in text


def _invite(client, listing, org):
    return client.post(f"/recommendations/listings/{listing.id}/invite/{org.id}")


def test_invite_opens_a_conversation(client, auth, world):
    _as(client, auth, world.uni_owner)
    response = _invite(client, world.sem, world.enterprise)
    assert response.status_code == 302
    conversation = db.session.scalars(sa.select(Conversation)).one()
    assert (conversation.listing_id, conversation.listing_org_id, conversation.other_org_id) == (
        world.sem.id, world.university.id, world.enterprise.id)
    assert response.headers["Location"].endswith(f"/conversations/{conversation.id}")
    assert client.get(response.headers["Location"]).status_code == 200
    # the panel now links to the conversation; inviting again finds it
    text = client.get(f"/listings/{world.sem.id}").get_data(as_text=True)
    assert 'data-testid="invited"' in text
    assert _invite(client, world.sem, world.enterprise).status_code == 302
    assert _count(Conversation) == 1


def test_invite_refused(client, auth, world):
    _as(client, auth, world.ent_owner)  # not a member of the listing's organisation
    assert _invite(client, world.sem, world.enterprise).status_code == 403
    _as(client, auth, world.uni_owner)
    _lang(client, "en")
    response = _invite(client, world.sem, world.hidden)  # did not opt in
    assert response.status_code == 403
    assert "has not agreed to be found" in response.get_data(as_text=True)
    assert _invite(client, world.sem, world.university).status_code == 403  # itself
    assert client.post(f"/recommendations/listings/999999/invite/{world.enterprise.id}"
                       ).status_code == 404
    assert client.post(f"/recommendations/listings/{world.sem.id}/invite/999999"
                       ).status_code == 404
    assert client.get(f"/recommendations/listings/{world.sem.id}/invite/{world.enterprise.id}"
                      ).status_code == 405
    assert _count(Conversation) == 0


# --- listing views ------------------------------------------------------------------------------
def test_listing_page_records_an_enterprise_members_view(client, auth, world):
    _as(client, auth, world.uni_owner)  # its own listing: not a signal
    assert client.get(f"/listings/{world.sem.id}").status_code == 200
    assert _count(ListingView) == 0
    _as(client, auth, world.ent_member)
    for _ in range(2):
        assert client.get(f"/listings/{world.sem.id}").status_code == 200
    view = db.session.scalars(sa.select(ListingView)).one()
    assert (view.organization_id, view.listing_id, view.views) == (world.enterprise.id,
                                                                  world.sem.id, 2)


def test_a_view_that_cannot_be_recorded_does_not_fail_the_page(client, auth, world, monkeypatch,
                                                             caplog):
    from marketplace.recommendations import operations

    def clash(*args, **kwargs):
        raise sa.exc.IntegrityError("INSERT INTO listing_views", {}, Exception("duplicate key"))

    monkeypatch.setattr(operations, "record_view", clash)
    _as(client, auth, world.ent_member)
    response = client.get(f"/listings/{world.sem.id}")
    assert response.status_code == 200 and "场发射扫描电镜" in response.get_data(as_text=True)
    assert "not recorded" in caplog.text
    assert _count(ListingView) == 0


# --- the organisation's privacy setting ---------------------------------------------------------
def test_discoverable_checkbox_saves(client, auth, world):
    from tests.security.helpers import organization_form

    org = world.hidden
    form = organization_form(org.credit_code, name_zh=org.name_zh, kind="enterprise",
                             industry=org.industry, district_code=org.district_code,
                             size=str(org.size.value))
    _as(client, auth, world.hidden_owner)
    _lang(client, "en")
    page = client.get(f"/organizations/{org.id}/edit").get_data(as_text=True)
    assert 'name="discoverable"' in page and "Let providers find us through recommendations" in page
    assert client.post(f"/organizations/{org.id}/edit",
                       data={**form, "discoverable": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, org.id).discoverable is True
    assert 'checked' in client.get(f"/organizations/{org.id}/edit").get_data(as_text=True)
    assert client.post(f"/organizations/{org.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, org.id).discoverable is False
