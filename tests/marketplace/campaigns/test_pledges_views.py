"""Pledge pages: the panel on the campaign page, the pledge POST (and a double click), one
pledge with its bank reference code, "my pledges". Rules are tested in test_pledges.py; here
only wiring, permissions and status codes."""

from __future__ import annotations

import re

import sqlalchemy as sa

from marketplace.campaigns.pledge_models import Pledge
from marketplace.extensions import db
from marketplace.payments.models import Payment
from tests.marketplace.campaigns.test_pledges import (
    english,  # noqa: F401 — fixture
    make_live_campaign,
    pay_by_bank,
    pledge,
)


def _key(html: str) -> str:
    """The one-time request key the rendered form carries."""
    tag = re.search(r'<input[^>]*name="request_key"[^>]*>', html)[0]
    return re.search(r'value="([^"]+)"', tag)[1]


def _english(client) -> None:
    """Pages in English (the source strings), so that tests can look for them."""
    assert client.post("/language", data={"lang": "en", "next": "/"}).status_code == 302


def _form(key: str, amount: str = "500", tier: str = "none", **extra) -> dict:
    return {"amount": amount, "tier_id": tier, "organization_id": "personal",
            "method": "bank_transfer", "request_key": key, **extra}


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_panel_shows_form_rewards_and_units_left(client, auth, db):
    backing = make_live_campaign(tiers=((10_000, None), (50_000, 3)))
    auth.login_as(backing.backers[0])
    _english(client)
    page = client.get(f"/campaigns/{backing.campaign.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="pledge-panel"' in html and 'data-testid="pledge-form"' in html
    assert "3 left" in html
    assert "Bank transfer" in html and "Online (card" not in html  # no Stripe key in tests
    assert _key(html)


def test_panel_for_visitors_and_makers_has_no_form(client, auth, db):
    backing = make_live_campaign()
    _english(client)
    html = client.get(f"/campaigns/{backing.campaign.id}").get_data(as_text=True)
    assert "Sign in to pledge" in html and 'data-testid="pledge-form"' not in html
    auth.login_as(backing.maker)
    _english(client)
    html = client.get(f"/campaigns/{backing.campaign.id}").get_data(as_text=True)
    assert "cannot back it" in html and 'data-testid="pledge-form"' not in html


def test_pledge_post_shows_the_bank_reference_code(client, auth, db):
    backing = make_live_campaign()
    auth.login_as(backing.backers[0])
    _english(client)
    key = _key(client.get(f"/campaigns/{backing.campaign.id}/pledges/new").get_data(as_text=True))
    response = client.post(f"/campaigns/{backing.campaign.id}/pledges/new",
                           data=_form(key, "1,200.50", str(backing.tiers[0].id), anonymous="y"))
    assert response.status_code == 302
    made = db.session.scalars(sa.select(Pledge)).one()
    assert response.headers["Location"].endswith(f"/campaigns/pledges/{made.id}")
    assert (made.amount_fen, made.tier_id, made.is_anonymous) == (120_050, backing.tiers[0].id,
                                                                   True)
    code = db.session.get(Payment, made.payment_id).reference_code
    page = client.get(f"/campaigns/pledges/{made.id}").get_data(as_text=True)
    assert code in page and "Awaiting payment" in page


def test_double_clicked_pledge_button_makes_one_pledge_and_one_payment(client, auth, db):
    backing = make_live_campaign()
    auth.login_as(backing.backers[0])
    _english(client)
    key = _key(client.get(f"/campaigns/{backing.campaign.id}").get_data(as_text=True))
    first = client.post(f"/campaigns/{backing.campaign.id}/pledges/new", data=_form(key))
    second = client.post(f"/campaigns/{backing.campaign.id}/pledges/new", data=_form(key))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert (_count(Pledge), _count(Payment)) == (1, 1)
    assert "already been sent" in client.get(second.headers["Location"]).get_data(as_text=True)


def test_bad_pledges_are_form_errors_and_write_nothing(client, auth, db):
    backing = make_live_campaign(tiers=((50_000, 1),))
    auth.login_as(backing.backers[0])
    _english(client)
    url = f"/campaigns/{backing.campaign.id}/pledges/new"
    for data, message in [
        (_form("k1", "abc"), "Enter an amount in yuan"),
        (_form("k2", "0"), "at least ¥0.01"),
        (_form("k3", "1.234"), "two decimals"),
        (_form("k4", "100", str(backing.tiers[0].id)), "at least ¥500"),
        (_form("k5", "600", "999999"), "Not a valid choice"),
        (_form("k6", method="cheque"), "Not a valid choice"),
        (_form("k7", method="stripe"), "Not a valid choice"),
    ]:
        response = client.post(url, data=data)
        assert response.status_code in (400, 409), data
        assert message in response.get_data(as_text=True), (data, message)
    assert _count(Pledge) == 0


def test_sold_out_reward_is_refused_on_the_form(client, auth, db):
    backing = make_live_campaign(tiers=((50_000, 1),))
    pledge(backing, backing.backers[1], 50_000, tier=backing.tiers[0])
    db.session.commit()
    auth.login_as(backing.backers[0])
    _english(client)
    response = client.post(f"/campaigns/{backing.campaign.id}/pledges/new",
                           data=_form("k-sold", "500", str(backing.tiers[0].id)))
    assert response.status_code == 409
    assert "sold out" in response.get_data(as_text=True)
    assert _count(Pledge) == 1


def test_pledge_page_is_private_to_backer_maker_and_officers(client, auth, db):
    backing = make_live_campaign()
    made = pledge(backing, backing.backers[0], 10_000)
    db.session.commit()
    url = f"/campaigns/pledges/{made.id}"
    assert client.get(url).status_code == 302  # sign in first
    for user, status in [(backing.backers[1], 404), (backing.backers[0], 200),
                         (backing.maker, 200), (backing.officer, 200)]:
        auth.login_as(user)
        assert client.get(url).status_code == status, user
        auth.logout()
    assert client.get("/campaigns/pledges/999999").status_code == 302


def test_my_pledges_and_the_anonymous_backer(client, auth, db):
    backing = make_live_campaign()
    mine = pledge(backing, backing.backers[0], 10_000, anonymous=True)
    other = pledge(backing, backing.backers[1], 20_000)
    db.session.commit()
    pay_by_bank(backing, mine)
    pay_by_bank(backing, other)
    db.session.commit()
    auth.login_as(backing.backers[0])
    _english(client)
    html = client.get("/campaigns/pledges/mine").get_data(as_text=True)
    assert f'data-testid="pledge-{mine.id}"' in html and f"pledge-{other.id}" not in html
    panel = client.get(f"/campaigns/{backing.campaign.id}").get_data(as_text=True)
    assert "Anonymous backer" in panel
    assert backing.backers[0].display_name not in panel.split('data-testid="backers"')[1]
    assert backing.backers[1].display_name in panel


def test_pledge_list_for_the_maker_and_officers_only(client, auth, db):
    backing = make_live_campaign()
    made = pledge(backing, backing.backers[0], 10_000, anonymous=True)
    db.session.commit()
    code = db.session.get(Payment, made.payment_id).reference_code
    url = f"/campaigns/{backing.campaign.id}/pledges"
    for user, status in [(backing.backers[1], 403), (backing.maker, 200), (backing.officer, 200)]:
        auth.login_as(user)
        _english(client)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            html = response.get_data(as_text=True)
            assert code in html and backing.backers[0].display_name in html
            assert ("Matchfunding" in html) == (user is backing.officer)
        auth.logout()


def test_officer_sets_up_matchfunding_on_the_pledge_list(client, auth, db):
    from marketplace.campaigns.pledge_models import MatchFund
    from tests.factories import make_programme

    backing = make_live_campaign()
    programme = make_programme(backing.officer)
    db.session.commit()
    url = f"/campaigns/{backing.campaign.id}/match-fund"
    auth.login_as(backing.maker)
    assert client.post(url, data={"programme_id": str(programme.id), "cap": "500"}
                       ).status_code == 403
    auth.logout()
    auth.login_as(backing.officer)
    _english(client)
    bad = client.post(url, data={"programme_id": str(programme.id), "cap": "0"})
    assert bad.status_code == 400 and "cap above" in bad.get_data(as_text=True)
    response = client.post(url, data={"programme_id": str(programme.id), "cap": "500"})
    assert response.status_code == 302
    fund = db.session.scalars(sa.select(MatchFund)).one()
    assert (fund.programme_id, fund.cap_fen, fund.is_active) == (programme.id, 50_000, True)
    panel = client.get(f"/campaigns/{backing.campaign.id}").get_data(as_text=True)
    assert 'data-testid="match-fund"' in panel


def test_user_text_is_escaped_on_the_pledge_pages(client, auth, db):
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    backing = make_live_campaign(tiers=((10_000, 2),))
    backing.tiers[0].title = payload
    backing.backers[0].display_name = payload[:80]
    made = pledge(backing, backing.backers[0], 10_000, tier=backing.tiers[0])
    db.session.commit()
    pay_by_bank(backing, made)
    db.session.commit()
    pages = []
    auth.login_as(backing.backers[1])
    pages.append(client.get(f"/campaigns/{backing.campaign.id}").get_data(as_text=True))
    pages.append(client.get(f"/campaigns/{backing.campaign.id}/pledges/new").get_data(as_text=True))
    auth.logout()
    auth.login_as(backing.maker)
    pages.append(client.get(f"/campaigns/{backing.campaign.id}/pledges").get_data(as_text=True))
    pages.append(client.get(f"/campaigns/pledges/{made.id}").get_data(as_text=True))
    auth.logout()
    auth.login_as(backing.backers[0])
    pages.append(client.get("/campaigns/pledges/mine").get_data(as_text=True))
    for html in pages:
        assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert sum("&lt;script&gt;alert(1)" in html for html in pages) == len(pages)
