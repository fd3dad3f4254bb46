"""A programme admits technology transfer services by listing it among its eligible categories:
the officer ticks it on the programme form, the programme page says so, instruments keep their
own rule."""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.vouchers.models import TECHNOLOGY_TRANSFER, VoucherProgramme
from tests.factories import make_officer, make_programme
from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _rules(programme, **changes) -> dict:
    data = {"name_zh": programme.name_zh, "validity_days": "90", "description": "",
            **{f"budget_{layer.id}": str(layer.budget_fen // 100) for layer in programme.layers}}
    data.update(changes)
    return data


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_officer_admits_technology_transfer_on_the_programme_form(client, auth, lang):
    officer = make_officer()
    programme = make_programme(officer)
    db.session.commit()
    auth.login_as(officer)
    client.post("/language", data={"lang": lang, "next": "/"})
    url = f"/vouchers/programmes/{programme.id}/edit"
    assert f'value="{TECHNOLOGY_TRANSFER}"' in client.get(url).get_data(as_text=True)
    response = client.post(url, data=_rules(programme, eligible_categories=[TECHNOLOGY_TRANSFER,
                                                                            "x_ray"]))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    saved = db.session.get(VoucherProgramme, programme.id)
    assert sorted(saved.eligible_categories) == sorted([TECHNOLOGY_TRANSFER, "x_ray"])
    assert saved.admits_technology_transfer and not saved.covers_category("spectroscopy")
    page = client.get(f"/vouchers/programmes/{programme.id}").get_data(as_text=True)
    assert 'data-testid="admits-technology-transfer"' in page
    # the edit form shows the saved choice again and saves it unchanged
    assert client.post(url, data=_rules(programme, eligible_categories=[
        TECHNOLOGY_TRANSFER])).status_code == 302
    db.session.expire_all()
    saved = db.session.get(VoucherProgramme, programme.id)
    assert saved.eligible_categories == [TECHNOLOGY_TRANSFER]
    assert saved.covers_category("spectroscopy")  # no instrument category listed: all
    page = client.get(f"/vouchers/programmes/{programme.id}").get_data(as_text=True)
    assert 'data-testid="admits-technology-transfer"' in page


def test_a_programme_without_it_says_nothing_of_licence_fees(client, auth):
    officer = make_officer()
    programme = make_programme(officer)
    db.session.commit()
    auth.login_as(officer)
    page = client.get(f"/vouchers/programmes/{programme.id}").get_data(as_text=True)
    assert page and 'data-testid="admits-technology-transfer"' not in page
