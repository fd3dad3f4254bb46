"""Pages: officers only for the queue and cases, members only for responses; the related-party
attempt made through the booking page is recorded although the request rolled back."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db, utcnow
from marketplace.integrity import operations as ops
from marketplace.integrity.models import RELATED_PARTY, Case, CreditNote, Signal
from tests.factories import make_user
from tests.marketplace.bookings.test_views import form_data
from tests.marketplace.integrity.helpers import completed, make_world


def english(client):
    assert client.post("/language", data={"lang": "en", "next": "/"}).status_code == 302


def related_world():
    world = make_world()
    world.sme.actual_controller = world.lab.actual_controller
    db.session.commit()
    return world


def test_refused_related_party_booking_is_in_the_queue(client, auth, db):
    world = related_world()
    auth.login_as(world.sme_user)
    response = client.post(f"/instruments/{world.instrument.id}/book",
                           data={**form_data(world), "preview": "", "confirm": "y"})
    assert response.status_code == 400
    db.session.expire_all()
    [signal] = db.session.scalars(sa.select(Signal)).all()
    assert signal.kind == RELATED_PARTY and signal.organization_id == world.sme.id
    auth.logout()
    auth.login_as(world.officer)
    english(client)
    html = client.get("/office/integrity/").get_data(as_text=True)
    assert "Attempted related-party voucher use" in html and world.sme.name_zh in html
    page = client.get(f"/office/integrity/signals/{signal.id}").get_data(as_text=True)
    assert f"/organizations/{world.lab.id}" in page and "related party" in page
    assert "Integrity" in client.get("/office/").get_data(as_text=True)


def test_queue_and_case_pages_are_for_officers(client, auth, db):
    world = make_world()
    case = ops.open_case(world.officer, world.sme, "x", utcnow())
    db.session.commit()
    assert client.get("/office/integrity/").status_code == 302  # to the login page
    auth.login_as(world.sme_user)
    assert client.get("/office/integrity/").status_code == 403
    assert client.get(f"/office/integrity/cases/{case.id}").status_code == 403
    assert client.post(f"/office/integrity/cases/{case.id}/freeze",
                       data={"reason": "x"}).status_code == 403


def test_filters_are_validated(client, auth, db):
    world = make_world()
    auth.login_as(world.officer)
    assert client.get("/office/integrity/?kind=nope").status_code == 400
    assert client.get("/office/integrity/?organization_id=abc").status_code == 400
    assert client.get("/office/integrity/?status=cleared&kind=no_usage").status_code == 200


def test_officer_opens_a_case_freezes_notes_and_claws_back(client, auth, db):
    world = make_world()
    completed(world, days_back=2, note="")
    auth.login_as(world.officer)
    english(client)
    assert client.post("/office/integrity/scan").status_code == 302
    signal = db.session.scalars(sa.select(Signal).where(Signal.kind == "no_usage")).one()
    response = client.post(f"/office/integrity/signals/{signal.id}/case",
                           data={"organization_id": str(world.lab.id), "summary": "核查"})
    assert response.status_code == 302
    case = db.session.scalars(sa.select(Case)).one()
    url = f"/office/integrity/cases/{case.id}"
    assert client.post(f"{url}/freeze", data={"reason": ""}).status_code == 400
    assert client.post(f"{url}/freeze", data={"reason": "调查"}).status_code == 302
    assert "is frozen" in client.get(url).get_data(as_text=True)
    candidate = ops.clawback_candidates(case)[0]
    assert client.post(f"{url}/clawback", data={"transfer_id": "999999", "reason": "x"}
                       ).status_code == 404
    assert client.post(f"{url}/clawback", data={"transfer_id": "abc", "reason": "x"}
                       ).status_code == 400
    assert client.post(f"{url}/clawback", data={"transfer_id": str(candidate.id),
                                                "reason": "未使用"}).status_code == 302
    assert client.post(f"{url}/note", data={"text": "信用记录"}).status_code == 302
    assert client.post(f"{url}/unfreeze").status_code == 302
    assert client.post(f"{url}/close", data={"note": "结案"}).status_code == 302
    assert "Transfer #%d reversed" % candidate.id in client.get(url).get_data(as_text=True)


def test_member_sees_the_note_and_responds_once(client, auth, db):
    world = make_world()
    case = ops.open_case(world.officer, world.sme, "x", utcnow())
    note = ops.add_credit_note(case, world.officer, "信用提示", utcnow())
    stranger = make_user()
    db.session.commit()
    url = f"/integrity/credit-notes/{note.id}/respond"
    auth.login_as(stranger)
    assert "信用提示" not in client.get(f"/organizations/{world.sme.id}").get_data(as_text=True)
    assert client.post(url, data={"text": "x"}).status_code == 403
    auth.logout()
    auth.login_as(world.sme_user)
    english(client)
    html = client.get(f"/organizations/{world.sme.id}").get_data(as_text=True)
    assert "put a note on this organisation" in html and url in html
    assert client.post(url, data={"text": ""}).status_code == 400
    assert client.post(url, data={"text": "已整改"}).status_code == 302
    assert client.post(url, data={"text": "again"}).status_code == 409
    db.session.expire_all()
    assert db.session.get(CreditNote, note.id).response_text == "已整改"
    assert client.post("/integrity/credit-notes/999999/respond", data={"text": "x"}
                       ).status_code == 404
