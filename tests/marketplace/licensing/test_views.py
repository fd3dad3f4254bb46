"""The licensing pages: the full flow (NDA → confidential → offer → counter → accept →
agreement), permissions allowed and denied, bad input, both languages."""

from __future__ import annotations

import io

import sqlalchemy as sa

from marketplace.extensions import db, utcnow
from marketplace.licensing import operations as ops
from marketplace.licensing.models import (
    ConfidentialFile,
    LicenceAgreement,
    LicenceOffer,
    NdaAcceptance,
    OfferStatus,
)
from tests.marketplace.licensing.helpers import terms

PDF = b"%PDF-1.4\n%secret drawing\n%%EOF"


def _as(client, auth, user):
    auth.logout()
    auth.login_as(user)


def _offer_form(**changes):
    data = {"mode": "non_exclusive", "field_of_use": "煤化工", "territory": "山西省",
            "term_years": "5", "upfront_fee": "100,000", "royalty": "3",
            "milestones-0-title": "首批量产", "milestones-0-amount": "20000",
            "milestones-0-due": "2027-06-30", "message": "我方报价"}
    data.update(changes)
    return data


def _lang(client, lang):
    assert client.post("/language", data={"lang": lang, "next": "/"}).status_code == 302


def test_full_flow_through_the_pages(client, auth, scene):
    tid = scene.technology.id
    db.session.commit()
    # the owner writes the disclosure and uploads a file
    _as(client, auth, scene.owner)
    assert client.get(f"/licensing/technologies/{tid}/disclosure").status_code == 200
    response = client.post(f"/licensing/technologies/{tid}/disclosure", data={
        "problem": "气化效率低", "advantages": "效率提高15%", "applications": "煤化工企业",
        "confidential_text": "镍基催化剂配方A-17", "nda_text": "保密五年"})
    assert response.status_code == 302
    response = client.post(f"/licensing/technologies/{tid}/files",
                           data={"file": (io.BytesIO(PDF), "图纸.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    file_id = db.session.scalar(sa.select(ConfidentialFile.id))
    # the public page shows the summary but not the confidential part
    auth.logout()
    page = client.get(f"/listings/{tid}").get_data(as_text=True)
    assert "气化效率低" in page and "镍基催化剂配方A-17" not in page
    assert client.get(f"/licensing/files/{file_id}").status_code == 302  # sign in first
    # the enterprise: confidential part only after the NDA
    _as(client, auth, scene.buyer)
    _lang(client, "en")
    page = client.get(f"/listings/{tid}").get_data(as_text=True)
    assert 'data-testid="nda-open"' in page and 'data-testid="make-offer"' in page
    assert client.get(f"/licensing/technologies/{tid}/confidential").status_code == 302
    assert client.get(f"/licensing/files/{file_id}").status_code == 404
    nda = client.get(f"/licensing/technologies/{tid}/nda").get_data(as_text=True)
    assert "保密五年" in nda and 'data-testid="nda-accept"' in nda
    response = client.post(f"/licensing/technologies/{tid}/nda/accept", data={
        "version": "1", "organization_id": str(scene.enterprise.id)})
    assert response.status_code == 302
    assert "/confidential" in response.headers["Location"]
    response = client.get(f"/licensing/technologies/{tid}/confidential")
    assert "镍基催化剂配方A-17" in response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]
    download = client.get(f"/licensing/files/{file_id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()
    # the offer
    form = client.get(f"/licensing/technologies/{tid}/offer").get_data(as_text=True)
    assert 'data-testid="offer-form"' in form and 'data-testid="offer-submit"' in form
    response = client.post(f"/licensing/technologies/{tid}/offer", data=_offer_form())
    assert response.status_code == 302
    offer = db.session.scalars(sa.select(LicenceOffer)).one()
    assert (offer.upfront_fee_fen, offer.royalty_bp, offer.milestones) == (
        10_000_000, 300, [{"title": "首批量产", "amount_fen": 2_000_000, "due": "2027-06-30"}])
    page = client.get(f"/licensing/offers/{offer.id}").get_data(as_text=True)
    assert 'data-testid="accept-offer"' not in page  # not for its author
    # the university counters
    _as(client, auth, scene.owner)
    page = client.get(f"/licensing/offers/{offer.id}").get_data(as_text=True)
    assert 'data-testid="counter-offer"' in page and 'data-testid="accept-offer"' in page
    response = client.post(f"/licensing/offers/{offer.id}/counter",
                           data=_offer_form(upfront_fee="150000", royalty="5"))
    assert response.status_code == 302
    db.session.expire_all()
    counter = db.session.scalars(sa.select(LicenceOffer).where(
        LicenceOffer.status == OfferStatus.OPEN)).one()
    assert counter.upfront_fee_fen == 15_000_000 and counter.royalty_bp == 500
    # the enterprise accepts; the agreement page shows the terms
    _as(client, auth, scene.buyer)
    _lang(client, "en")
    response = client.post(f"/licensing/offers/{counter.id}/accept")
    assert response.status_code == 302
    agreement = db.session.scalars(sa.select(LicenceAgreement)).one()
    assert f"/licensing/agreements/{agreement.id}" in response.headers["Location"]
    page = client.get(f"/licensing/agreements/{agreement.id}").get_data(as_text=True)
    assert 'data-testid="agreement-terms"' in page and "¥150,000" in page
    assert agreement.number in page and "5.00 %" in page
    printed = client.get(f"/licensing/agreements/{agreement.id}/print").get_data(as_text=True)
    assert agreement.number in printed and 'lang="zh-CN"' in printed
    listing = client.get(f"/listings/{tid}").get_data(as_text=True)
    assert 'data-testid="technology-agreements"' in listing and agreement.number in listing
    mine = client.get("/licensing/").get_data(as_text=True)
    assert agreement.number in mine


def test_pages_render_in_chinese(client, auth, scene):
    ops.update_disclosure(db.session, scene.technology, scene.owner, problem="p", advantages="a",
                          applications="x", confidential_text="c", nda_text="保密",
                          now=utcnow())
    offer = ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(),
                           now=utcnow())
    agreement = ops.accept_offer(db.session, offer, scene.owner, now=utcnow())
    db.session.commit()
    tid = scene.technology.id
    for user in (scene.owner, scene.buyer):
        _as(client, auth, user)
        _lang(client, "zh_CN")
        for url in (f"/listings/{tid}", "/licensing/", f"/licensing/offers/{offer.id}",
                    f"/licensing/agreements/{agreement.id}",
                    f"/licensing/agreements/{agreement.id}/print",
                    f"/licensing/technologies/{tid}/nda"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert 'lang="zh' in response.get_data(as_text=True)


def test_permissions_on_the_pages(client, auth, scene):
    ops.update_disclosure(db.session, scene.technology, scene.owner, problem="", advantages="",
                          applications="", confidential_text="绝密", nda_text="保密",
                          now=utcnow())
    offer = ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(),
                           now=utcnow())
    db.session.commit()
    tid, oid = scene.technology.id, offer.id
    # anonymous: sign in first
    for url in (f"/licensing/offers/{oid}", "/licensing/", f"/licensing/technologies/{tid}/nda"):
        assert client.get(url).status_code == 302
    # a rival: cannot see the offer, nor edit, nor read the confidential part
    _as(client, auth, scene.rival)
    assert client.get(f"/licensing/offers/{oid}").status_code == 404
    assert client.post(f"/licensing/offers/{oid}/accept").status_code == 404
    assert client.post(f"/licensing/offers/{oid}/withdraw").status_code == 404
    assert client.get(f"/licensing/technologies/{tid}/disclosure").status_code == 403
    assert client.get(f"/licensing/technologies/{tid}/confidential").status_code == 302
    # the buyer (author) cannot accept or decline its own offer
    _as(client, auth, scene.buyer)
    assert client.post(f"/licensing/offers/{oid}/accept").status_code == 403
    assert client.post(f"/licensing/offers/{oid}/decline",
                       data={"reason": "price"}).status_code == 403
    # the owner cannot withdraw the buyer's offer
    _as(client, auth, scene.owner)
    assert client.post(f"/licensing/offers/{oid}/withdraw").status_code == 403
    # an officer may read but not act
    _as(client, auth, scene.officer)
    assert client.get(f"/licensing/offers/{oid}").status_code == 200
    assert client.get(f"/licensing/technologies/{tid}/confidential").status_code == 200
    assert client.post(f"/licensing/offers/{oid}/accept").status_code == 403
    db.session.expire_all()
    assert db.session.get(LicenceOffer, oid).status == OfferStatus.OPEN
    # the owner declines with feedback
    _as(client, auth, scene.owner)
    response = client.post(f"/licensing/offers/{oid}/decline",
                           data={"reason": "price", "note": "太低"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(LicenceOffer, oid).status == OfferStatus.DECLINED


def test_bad_input_is_a_form_error(client, auth, scene):
    db.session.commit()
    tid = scene.technology.id
    _as(client, auth, scene.buyer)
    for data in (_offer_form(term_years="0"), _offer_form(upfront_fee="-5"),
                 _offer_form(royalty="101"), _offer_form(mode="rent"),
                 _offer_form(**{"milestones-0-title": ""}),
                 _offer_form(**{"milestones-0-due": "2027-13-01"}),
                 _offer_form(organization_id=str(scene.rival_org.id))):
        response = client.post(f"/licensing/technologies/{tid}/offer", data=data)
        assert response.status_code == 400, data
    assert client.post(f"/licensing/technologies/{tid}/nda/accept",
                       data={"version": "1"}).status_code == 404  # no NDA yet
    _as(client, auth, scene.owner)
    _lang(client, "en")
    response = client.post(f"/licensing/technologies/{tid}/files",
                           data={"file": (io.BytesIO(b"<script>"), "x.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "not a PDF" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LicenceOffer)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NdaAcceptance)) == 0


def test_enquiry_and_decline_through_the_pages(client, auth, scene):
    db.session.commit()
    tid = scene.technology.id
    _as(client, auth, scene.buyer)
    assert client.get(f"/licensing/technologies/{tid}/enquiry").status_code == 200
    assert client.post(f"/licensing/technologies/{tid}/enquiry",
                       data={"message": " "}).status_code == 400
    assert client.post(f"/licensing/technologies/{tid}/enquiry",
                       data={"message": "可否试用？"}).status_code == 302
    enquiry = ops.get_enquiry(db.session, scene.technology, scene.enterprise)
    assert client.post(f"/licensing/enquiries/{enquiry.id}/decline",
                       data={"reason": "price"}).status_code == 403
    _as(client, auth, scene.rival)
    assert client.post(f"/licensing/enquiries/{enquiry.id}/decline",
                       data={"reason": "price"}).status_code == 404
    _as(client, auth, scene.owner)
    assert "可否试用？" in client.get("/licensing/").get_data(as_text=True)
    assert client.post(f"/licensing/enquiries/{enquiry.id}/decline",
                       data={"reason": "nonsense"}).status_code == 400
    assert client.post(f"/licensing/enquiries/{enquiry.id}/decline",
                       data={"reason": "not_our_field", "note": "方向不符"}).status_code == 302
    page = client.get("/licensing/").get_data(as_text=True)
    assert 'data-testid="feedback-summary"' in page


def test_closed_technology_refuses_offers_with_a_message(client, auth, scene):
    ops.conclude_agreement(db.session, technology=scene.technology, licensee_org=scene.rival_org,
                           terms=terms(mode="exclusive"))
    db.session.commit()
    _as(client, auth, scene.buyer)
    _lang(client, "en")
    page = client.get(f"/listings/{scene.technology.id}").get_data(as_text=True)
    assert 'data-testid="technology-closed"' in page
    response = client.post(f"/licensing/technologies/{scene.technology.id}/offer",
                           data=_offer_form())
    assert response.status_code == 409
    assert "no further offers" in response.get_data(as_text=True)


def test_nda_page_form_carries_the_version_shown(client, auth, scene):
    ops.update_disclosure(db.session, scene.technology, scene.owner, problem="", advantages="",
                          applications="", confidential_text="c", nda_text="第一版",
                          now=utcnow())
    ops.update_disclosure(db.session, scene.technology, scene.owner, problem="", advantages="",
                          applications="", confidential_text="c", nda_text="第二版",
                          now=utcnow())
    db.session.commit()
    _as(client, auth, scene.buyer)
    page = client.get(f"/licensing/technologies/{scene.technology.id}/nda").get_data(as_text=True)
    assert 'name="version" value="2"' in page and "第二版" in page


def _multipart(filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body built in memory (the test client would spool a large one to a
    temporary file it never closes)."""
    boundary = "licensing-test-boundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n').encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}")


def test_confidential_files_up_to_20_mb_through_the_page(app, client, auth, scene):
    db.session.commit()
    _as(client, auth, scene.owner)
    url = f"/licensing/technologies/{scene.technology.id}/files"
    assert app.config["MAX_CONTENT_LENGTH"] < 17 * 1024 * 1024  # above the app-wide limit
    big = PDF + b"0" * (17 * 1024 * 1024)
    body, content_type = _multipart("drawing.pdf", big)
    response = client.post(url, data=body, content_type=content_type)
    assert response.status_code == 302
    assert db.session.scalar(sa.select(ConfidentialFile.size_bytes)) == len(big)
    body, content_type = _multipart("too-big.pdf", PDF + b"0" * (21 * 1024 * 1024))
    response = client.post(url, data=body, content_type=content_type)
    assert response.status_code == 413
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConfidentialFile)) == 1
