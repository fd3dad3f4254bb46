"""Licence fee pages: the express licence card and form, taking it, paying an agreement's fee —
wiring, permissions (allowed and denied), bad input, both languages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from listings.models import ListingStatus
from marketplace.extensions import db
from marketplace.licensing import fees
from marketplace.licensing.fee_models import ExpressLicence, FeeStatus, LicenceFee
from marketplace.licensing.models import LicenceAgreement, LicenceStatus
from marketplace.licensing.operations import conclude_agreement
from marketplace.payments import operations as payments
from marketplace.payments.models import Payment
from tests.marketplace.licensing.helpers import terms
from tests.marketplace.licensing.test_fee_world import PRICE, assert_clean, build_fee_world
from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _key(html: str) -> str:
    tag = re.search(r'<input[^>]*name="request_key"[^>]*>', html)[0]
    return re.search(r'value="([^"]+)"', tag)[1]


def _lang(client, lang: str) -> None:
    assert client.post("/language", data={"lang": lang, "next": "/"}).status_code == 302


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _take_form(world, request_key: str, **changes) -> dict:
    return {"organization_id": str(world.enterprise.id), "programme_id": str(world.programme.id),
            "method": "bank_transfer", "request_key": request_key, **changes}


# ---------------------------------------------------------------------------------------------
# the card on the technology page
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_technology_page_offers_the_express_licence(client, auth, lang):
    world = build_fee_world()
    _lang(client, lang)
    page = client.get(f"/listings/{world.technology.id}").get_data(as_text=True)
    assert 'data-testid="express-licence"' in page and "¥20,000" in page
    assert 'data-testid="take-express"' not in page  # anonymous: sign in first
    auth.login_as(world.buyer)
    _lang(client, lang)
    page = client.get(f"/listings/{world.technology.id}").get_data(as_text=True)
    assert 'data-testid="take-express"' in page and 'data-testid="edit-express"' not in page
    auth.logout()
    auth.login_as(world.owner)
    page = client.get(f"/listings/{world.technology.id}").get_data(as_text=True)
    assert 'data-testid="edit-express"' in page and 'data-testid="take-express"' not in page


def test_a_withdrawn_express_licence_shows_only_to_its_owner(client, auth):
    world = build_fee_world()
    world.express.is_active = False
    db.session.commit()
    auth.login_as(world.buyer)
    assert 'data-testid="express-licence"' not in client.get(
        f"/listings/{world.technology.id}").get_data(as_text=True)
    auth.logout()
    auth.login_as(world.owner)
    page = client.get(f"/listings/{world.technology.id}").get_data(as_text=True)
    assert 'data-testid="express-off"' in page


# ---------------------------------------------------------------------------------------------
# the owner's form
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_owner_changes_the_express_licence(client, auth, lang):
    world = build_fee_world()
    auth.login_as(world.owner)
    _lang(client, lang)
    url = f"/licensing/fees/technologies/{world.technology.id}/express"
    page = client.get(url)
    assert page.status_code == 200 and 'value="20000"' in page.get_data(as_text=True)
    response = client.post(url, data={"price": "35000", "term_years": "3", "territory": "山西省",
                                      "field_of_use": "焦化", "is_active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    express = db.session.get(ExpressLicence, world.express.id)
    assert (express.price_fen, express.term_years, express.territory) == (3_500_000, 3, "山西省")


@pytest.mark.parametrize("data", [
    {}, {"price": "abc", "term_years": "3", "territory": "中国", "field_of_use": "x"},
    {"price": "0", "term_years": "3", "territory": "中国", "field_of_use": "x"},
    {"price": "100", "term_years": "0", "territory": "中国", "field_of_use": "x"},
    {"price": "100", "term_years": "3", "territory": "", "field_of_use": "x"},
    {"price": "100", "term_years": "3", "territory": "中国", "field_of_use": "用" * 301},
])
def test_bad_express_terms_are_refused_on_the_form(client, auth, data):
    world = build_fee_world()
    auth.login_as(world.owner)
    response = client.post(f"/licensing/fees/technologies/{world.technology.id}/express",
                           data=data)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(ExpressLicence, world.express.id).price_fen == PRICE


def test_only_the_owner_may_edit_the_express_licence(client, auth):
    world = build_fee_world()
    url = f"/licensing/fees/technologies/{world.technology.id}/express"
    assert client.get(url).status_code == 302  # to the login page
    for user in (world.buyer, world.outsider, world.officer):
        auth.login_as(user)
        assert client.get(url).status_code == 403
        assert client.post(url, data={"price": "1", "term_years": "1", "territory": "中国",
                                      "field_of_use": "x", "is_active": "y"}).status_code == 403
        auth.logout()
    world.technology.status = ListingStatus.DRAFT
    db.session.commit()
    auth.login_as(world.buyer)
    assert client.get(url).status_code == 404
    db.session.expire_all()
    assert db.session.get(ExpressLicence, world.express.id).price_fen == PRICE


# ---------------------------------------------------------------------------------------------
# taking it
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_confirm_page_shows_the_voucher_part_and_the_own_part(client, auth, lang):
    world = build_fee_world()
    auth.login_as(world.buyer)
    _lang(client, lang)
    page = client.get(f"/licensing/fees/technologies/{world.technology.id}/express/take")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'data-testid="fee-voucher">\s*¥14,000', html)
    assert re.search(r'data-testid="fee-self-paid">\s*¥6,000', html)
    none = client.get(f"/licensing/fees/technologies/{world.technology.id}/express/take"
                      "?programme_id=none").get_data(as_text=True)
    assert 'data-testid="fee-voucher"' not in none
    assert re.search(r'data-testid="fee-self-paid">\s*¥20,000', none)


def test_a_double_click_takes_one_licence_and_starts_one_payment(client, auth):
    world = build_fee_world()
    auth.login_as(world.buyer)
    url = f"/licensing/fees/technologies/{world.technology.id}/express/take"
    request_key = _key(client.get(url).get_data(as_text=True))
    first = client.post(url, data=_take_form(world, request_key))
    second = client.post(url, data=_take_form(world, request_key))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert "/payments/" in first.headers["Location"]
    assert (_count(LicenceAgreement), _count(LicenceFee), _count(Payment)) == (1, 1, 1)
    assert_clean()


def test_a_voucher_refusal_is_shown_on_the_form_and_nothing_is_concluded(client, auth):
    world = build_fee_world(admitted=False)
    auth.login_as(world.buyer)
    _lang(client, "en")
    url = f"/licensing/fees/technologies/{world.technology.id}/express/take"
    response = client.post(url, data=_take_form(world, _key(client.get(url).get_data(
        as_text=True))))
    assert response.status_code == 400
    assert "not an admitted provider" in response.get_data(as_text=True)
    assert _count(LicenceAgreement) == 0


@pytest.mark.parametrize("changes", [
    {"organization_id": "999999"}, {"organization_id": "abc"}, {"programme_id": "999999"},
    {"method": "cash"}, {"method": ""}, {"request_key": "k" * 65},
])
def test_bad_input_when_taking_is_refused(client, auth, changes):
    world = build_fee_world()
    auth.login_as(world.buyer)
    url = f"/licensing/fees/technologies/{world.technology.id}/express/take"
    response = client.post(url, data={**_take_form(world, "a-key"), **changes})
    assert response.status_code == 400
    assert _count(LicenceAgreement) == 0


def test_who_may_take_the_express_licence(client, auth):
    world = build_fee_world()
    url = f"/licensing/fees/technologies/{world.technology.id}/express/take"
    assert client.get(url).status_code == 302  # to the login page
    for user in (world.owner, world.outsider, world.officer):  # no other verified organisation
        auth.login_as(user)
        assert client.get(url).status_code == 403
        assert client.post(url, data=_take_form(world, "k")).status_code == 403
        auth.logout()
    assert _count(LicenceAgreement) == 0
    world.express.is_active = False
    db.session.commit()
    auth.login_as(world.buyer)
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------------------------------------
# paying a negotiated agreement's fee
def _negotiated(world):
    agreement = conclude_agreement(db.session, technology=world.technology,
                                   licensee_org=world.enterprise,
                                   terms=terms(upfront_fee_fen=1_000_000))
    db.session.commit()
    return agreement


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_licensee_pays_a_negotiated_fee_part_by_voucher(client, auth, lang):
    world = build_fee_world()
    agreement = _negotiated(world)
    auth.login_as(world.buyer)
    _lang(client, lang)
    url = f"/licensing/fees/agreements/{agreement.id}/pay"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and re.search(r'data-testid="fee-voucher">\s*¥7,000', html)
    response = client.post(url, data={"programme_id": str(world.programme.id),
                                      "method": "bank_transfer", "request_key": _key(html)})
    assert response.status_code == 302
    fee = db.session.scalars(sa.select(LicenceFee)).one()
    assert (fee.voucher_fen, fee.self_paid_fen) == (700_000, 300_000)
    # while it is under way the pay page leads to the payment
    assert client.get(url).headers["Location"].endswith(f"/payments/{fee.payment_id}")
    payments.confirm_bank_transfer(db.session, fee.payment, user=world.owner)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(LicenceAgreement, agreement.id).status == LicenceStatus.IN_FORCE
    assert client.get(url).status_code == 403  # nothing left to pay
    assert_clean()


def test_who_may_pay_an_agreements_fee(client, auth):
    world = build_fee_world()
    agreement = _negotiated(world)
    url = f"/licensing/fees/agreements/{agreement.id}/pay"
    form = {"programme_id": "none", "method": "bank_transfer", "request_key": "k1"}
    assert client.get(url).status_code == 302  # to the login page
    auth.login_as(world.owner)  # the licensor sees the agreement but does not pay it
    assert client.get(url).status_code == 403 and client.post(url, data=form).status_code == 403
    auth.logout()
    auth.login_as(world.outsider)
    assert client.get(url).status_code == 404 and client.post(url, data=form).status_code == 404
    auth.logout()
    auth.login_as(world.officer)
    assert client.get(url).status_code == 403
    assert client.get("/licensing/fees/agreements/999999/pay").status_code == 404
    assert _count(LicenceFee) == 0


def test_bad_input_when_paying_is_refused(client, auth):
    world = build_fee_world()
    agreement = _negotiated(world)
    auth.login_as(world.buyer)
    url = f"/licensing/fees/agreements/{agreement.id}/pay"
    for data in ({}, {"programme_id": "123456", "method": "bank_transfer", "request_key": "a"},
                 {"programme_id": "none", "method": "cheque", "request_key": "a"},
                 {"programme_id": "none", "method": "bank_transfer", "request_key": "x" * 65}):
        assert client.post(url, data=data).status_code == 400
    assert _count(LicenceFee) == 0


def test_a_fee_paid_by_vouchers_alone_goes_back_to_the_agreement(client, auth):
    world = build_fee_world(full_payment_threshold_fen=2_000_000)
    agreement = _negotiated(world)
    auth.login_as(world.buyer)
    url = f"/licensing/fees/agreements/{agreement.id}/pay"
    response = client.post(url, data={"programme_id": str(world.programme.id),
                                      "method": "bank_transfer", "request_key": "only-vouchers"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/licensing/agreements/{agreement.id}")
    fee = db.session.scalars(sa.select(LicenceFee)).one()
    assert fee.status == FeeStatus.PAID and fee.payment_id is None
    db.session.expire_all()
    assert fees.can_pay(db.session.get(LicenceAgreement, agreement.id), world.buyer) is False
    assert_clean()


# ---------------------------------------------------------------------------------------------
# the fee card on the agreement page (licensing.agreement includes licensing/fees/_agreement_fee)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_agreement_page_shows_the_fee_and_the_pay_button_to_the_licensee(client, auth, lang):
    world = build_fee_world()
    agreement = _negotiated(world)
    url = f"/licensing/agreements/{agreement.id}"
    auth.login_as(world.buyer)
    _lang(client, lang)
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="licence-fee"' in page and 'data-testid="pay-fee"' in page
    auth.logout()
    auth.login_as(world.owner)
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="licence-fee"' in page and 'data-testid="pay-fee"' not in page


def test_the_agreement_page_shows_the_parts_of_a_fee_under_way_and_paid(client, auth):
    world = build_fee_world()
    fee = fees.take_express_licence(db.session, world.technology, world.buyer,
                                    organization=world.enterprise, programme=world.programme,
                                    method="bank_transfer", request_key="card")
    db.session.commit()
    url = f"/licensing/agreements/{fee.agreement_id}"
    auth.login_as(world.buyer)
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="fee-parts"' in page and "¥14,000" in page and "¥6,000" in page
    assert 'data-testid="fee-payment"' in page and 'data-testid="pay-fee"' not in page
    payments.confirm_bank_transfer(db.session, fee.payment, user=world.owner)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="fee-paid"' in page and 'data-testid="fee-payment"' not in page


def test_show_the_split_keeps_the_choices_sent_by_get(client, auth):
    world = build_fee_world()
    auth.login_as(world.buyer)
    url = (f"/licensing/fees/technologies/{world.technology.id}/express/take"
           f"?organization_id={world.enterprise.id}&programme_id=none&method=bank_transfer"
           "&preview=1")
    html = client.get(url).get_data(as_text=True)
    assert re.search(r'<option selected value="none">|<option value="none" selected', html)
    assert re.search(r'data-testid="fee-self-paid">\s*¥20,000', html)
    # a value that is not a choice is ignored: the default programme is previewed
    html = client.get(url.replace("programme_id=none", "programme_id=999")).get_data(as_text=True)
    assert re.search(r'data-testid="fee-voucher">\s*¥14,000', html)


def test_once_taken_the_card_links_to_the_licence_instead_of_offering_it_again(client, auth):
    world = build_fee_world()
    fee = fees.take_express_licence(db.session, world.technology, world.buyer,
                                    organization=world.enterprise, programme=None,
                                    method="bank_transfer", request_key="once")
    db.session.commit()
    auth.login_as(world.buyer)
    page = client.get(f"/listings/{world.technology.id}").get_data(as_text=True)
    assert 'data-testid="express-mine"' in page and 'data-testid="take-express"' not in page
    assert fee.agreement.number in page
    response = client.get(f"/licensing/fees/technologies/{world.technology.id}/express/take")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/listings/{world.technology.id}")
