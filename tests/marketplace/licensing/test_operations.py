"""NDA, enquiries, offers, counter-offers, withdraw/decline/accept: rules and permissions."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from marketplace.errors import ConflictError, DomainError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.licensing import operations as ops
from marketplace.licensing.models import (
    EnquiryStatus,
    LicenceAgreement,
    NdaAcceptance,
    OfferStatus,
)
from tests.marketplace.licensing.helpers import terms

NDA = "双方对技术资料保密五年。"


def _disclose(scene, nda=NDA, **changes):
    values = {"problem": "气化效率低", "advantages": "效率提高15%", "applications": "煤化工",
              "confidential_text": "配方：镍基催化剂……", "nda_text": nda}
    values.update(changes)
    return ops.update_disclosure(db.session, scene.technology, scene.owner, now=utcnow(),
                                 **values)


# --- disclosure and NDA --------------------------------------------------------------------
def test_nda_versions_and_confidential_access(scene):
    disclosure = _disclose(scene)
    assert disclosure.nda_version == 1
    assert not ops.can_view_confidential(db.session, scene.technology, scene.buyer)
    assert ops.can_view_confidential(db.session, scene.technology, scene.owner)
    assert ops.can_view_confidential(db.session, scene.technology, scene.officer)
    acceptance = ops.accept_nda(db.session, scene.technology, scene.buyer, version=1,
                                now=utcnow())
    assert (acceptance.user_id, acceptance.organization_id, acceptance.nda_version) == (
        scene.buyer.id, scene.enterprise.id, 1)
    assert acceptance.nda_text == NDA
    # idempotent
    assert ops.accept_nda(db.session, scene.technology, scene.buyer, version=1,
                          now=utcnow()).id == acceptance.id
    assert ops.can_view_confidential(db.session, scene.technology, scene.buyer)
    assert not ops.can_view_confidential(db.session, scene.technology, scene.rival)
    # the enquirer's interest was recorded
    enquiry = ops.get_enquiry(db.session, scene.technology, scene.enterprise)
    assert enquiry is not None and enquiry.is_open
    # same text: same version; a new text: version 2, accept again
    assert _disclose(scene).nda_version == 1
    assert _disclose(scene, nda=NDA + "违约金十万元。").nda_version == 2
    assert not ops.can_view_confidential(db.session, scene.technology, scene.buyer)
    with pytest.raises(ConflictError, match="changed meanwhile"):
        ops.accept_nda(db.session, scene.technology, scene.buyer, version=1, now=utcnow())
    ops.accept_nda(db.session, scene.technology, scene.buyer, version=2, now=utcnow())
    assert ops.can_view_confidential(db.session, scene.technology, scene.buyer)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NdaAcceptance)) == 2


def test_colleague_of_accepting_org_sees_confidential(scene):
    from tests.factories import make_user
    from marketplace.organizations.models import MemberRole, Membership

    colleague = make_user()
    db.session.add(Membership(user=colleague, organization=scene.enterprise,
                              role=MemberRole.MEMBER))
    db.session.flush()
    _disclose(scene)
    ops.accept_nda(db.session, scene.technology, scene.buyer, version=1, now=utcnow())
    db.session.expire_all()
    assert ops.can_view_confidential(db.session, scene.technology, colleague)


@pytest.mark.parametrize("who", ["owner", "outsider", "pending_user"])
def test_nda_refused_to_owner_and_unverified(scene, who):
    _disclose(scene)
    with pytest.raises(DomainError):
        ops.accept_nda(db.session, scene.technology, getattr(scene, who), version=1,
                       now=utcnow())


def test_nda_refused_without_nda_or_for_others_org(scene):
    with pytest.raises(ConflictError, match="not set"):
        ops.accept_nda(db.session, scene.technology, scene.buyer, version=1, now=utcnow())
    _disclose(scene)
    with pytest.raises(NotAllowedError):
        ops.accept_nda(db.session, scene.technology, scene.buyer, version=1,
                       organization=scene.rival_org, now=utcnow())


def test_only_owner_edits_disclosure_and_nda_cannot_be_emptied(scene):
    with pytest.raises(NotAllowedError):
        ops.update_disclosure(db.session, scene.technology, scene.buyer, problem="", advantages="",
                              applications="", confidential_text="", nda_text="x", now=utcnow())
    _disclose(scene)
    with pytest.raises(DomainError, match="cannot be emptied"):
        _disclose(scene, nda="  ")
    with pytest.raises(DomainError) as caught:
        _disclose(scene, problem="长" * 20_001)
    assert caught.value.field == "problem"


# --- files ---------------------------------------------------------------------------------
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"


def _docx() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "name", "kind"), [
    (PDF, "drawing.pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * 20, "photo.png", "image/png"),
    (b"\xff\xd8\xff\xe0" + b"0" * 20, "photo.jpeg", "image/jpeg"),
    (_docx(), "report.docx", "application/vnd.openxmlformats-officedocument"
                             ".wordprocessingml.document"),
])
def test_files_sniffed_and_stored_outside_web_root(app, scene, data, name, kind):
    item = ops.add_confidential_file(db.session, scene.technology, scene.owner, filename=name,
                                     stream=io.BytesIO(data), now=utcnow())
    db.session.commit()
    assert item.content_type == kind
    path = ops.confidential_dir() / item.stored_name
    assert path.read_bytes() == data and str(path).startswith(app.instance_path)
    ops.remove_confidential_file(db.session, item, scene.technology, scene.owner)
    db.session.commit()
    assert not path.exists()


@pytest.mark.parametrize("data", [b"", b"<html>hello</html>", b"PK\x03\x04notazip",
                                  b"MZ\x90\x00 executable"])
def test_bad_files_refused(scene, data):
    with pytest.raises(DomainError) as caught:
        ops.add_confidential_file(db.session, scene.technology, scene.owner, filename="x.pdf",
                                  stream=io.BytesIO(data), now=utcnow())
    assert caught.value.field == "file"


def test_file_over_20_mb_refused_and_only_owner_uploads(scene):
    big = io.BytesIO(PDF + b"0" * (20 * 1024 * 1024))
    with pytest.raises(DomainError, match="20 MB"):
        ops.add_confidential_file(db.session, scene.technology, scene.owner, filename="a.pdf",
                                  stream=big, now=utcnow())
    with pytest.raises(NotAllowedError):
        ops.add_confidential_file(db.session, scene.technology, scene.buyer, filename="a.pdf",
                                  stream=io.BytesIO(PDF), now=utcnow())


# --- enquiries ------------------------------------------------------------------------------
def test_enquiry_decline_with_feedback(scene, outbox):
    enquiry = ops.send_enquiry(db.session, scene.technology, scene.buyer,
                               message="请问可否非独占许可？", now=utcnow())
    db.session.commit()
    assert any(m.recipient == scene.owner.email for m in outbox())
    with pytest.raises(NotAllowedError):
        ops.decline_enquiry(db.session, enquiry, scene.buyer, reason="price", note=None,
                            now=utcnow())
    with pytest.raises(DomainError):
        ops.decline_enquiry(db.session, enquiry, scene.owner, reason="because", note=None,
                            now=utcnow())
    ops.decline_enquiry(db.session, enquiry, scene.owner, reason="too_early",
                        note="明年再谈", now=utcnow())
    db.session.commit()
    assert enquiry.status == EnquiryStatus.DECLINED and enquiry.decline_note == "明年再谈"
    with pytest.raises(ConflictError):
        ops.decline_enquiry(db.session, enquiry, scene.owner, reason="price", note=None,
                            now=utcnow())
    with pytest.raises(ConflictError, match="declined"):
        ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(), now=utcnow())
    summary = ops.feedback_summary(db.session, [scene.university.id])
    assert summary[0]["by_us"] == {"too_early": 1} and summary[0]["by_them"] == {}


def test_enquiry_needs_message_and_verified_org(scene):
    with pytest.raises(DomainError) as caught:
        ops.send_enquiry(db.session, scene.technology, scene.buyer, message="  ", now=utcnow())
    assert caught.value.field == "message"
    with pytest.raises(DomainError):
        ops.send_enquiry(db.session, scene.technology, scene.pending_user, message="hi",
                         now=utcnow())
    with pytest.raises(NotAllowedError):
        ops.send_enquiry(db.session, scene.technology, scene.owner, message="hi", now=utcnow())


# --- offers ---------------------------------------------------------------------------------
def test_offer_counter_accept_flow(scene):
    offer = ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(),
                           message="首次报价", now=utcnow())
    db.session.commit()
    assert offer.receiving_org.id == scene.university.id
    # the author cannot accept its own offer; outsiders cannot counter
    with pytest.raises(NotAllowedError):
        ops.accept_offer(db.session, offer, scene.buyer, now=utcnow())
    with pytest.raises(NotAllowedError):
        ops.counter_offer(db.session, offer, scene.rival, terms=terms(), now=utcnow())
    counter = ops.counter_offer(db.session, offer, scene.owner,
                                terms=terms(upfront_fee_fen=15_000_000, royalty_bp=500),
                                now=utcnow())
    db.session.commit()
    assert offer.status == OfferStatus.COUNTERED and counter.replaces_id == offer.id
    assert counter.author_org_id == scene.university.id
    assert counter.receiving_org.id == scene.enterprise.id
    with pytest.raises(ConflictError):
        ops.accept_offer(db.session, offer, scene.owner, now=utcnow())
    with pytest.raises(NotAllowedError):
        ops.accept_offer(db.session, counter, scene.owner, now=utcnow())
    agreement = ops.accept_offer(db.session, counter, scene.buyer, now=utcnow())
    db.session.commit()
    assert counter.status == OfferStatus.ACCEPTED
    assert (agreement.offer_id, agreement.upfront_fee_fen, agreement.royalty_bp) == (
        counter.id, 15_000_000, 500)
    assert agreement.licensee_org_id == scene.enterprise.id
    with pytest.raises(ConflictError):
        ops.accept_offer(db.session, counter, scene.buyer, now=utcnow())


def test_one_open_offer_per_thread_and_modes(scene):
    ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(), now=utcnow())
    with pytest.raises(ConflictError, match="already has an open offer"):
        ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(), now=utcnow())
    scene.technology.licensing_modes = ["non_exclusive"]
    db.session.flush()
    with pytest.raises(DomainError) as caught:
        ops.make_offer(db.session, scene.technology, scene.rival, terms=terms(mode="exclusive"),
                       now=utcnow())
    assert caught.value.field == "mode"


def test_withdraw_only_by_author_and_decline_only_by_receiver(scene):
    offer = ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(), now=utcnow())
    with pytest.raises(NotAllowedError):
        ops.withdraw_offer(db.session, offer, scene.owner, now=utcnow())
    with pytest.raises(NotAllowedError):
        ops.decline_offer(db.session, offer, scene.buyer, reason="price", note=None, now=utcnow())
    with pytest.raises(DomainError):
        ops.decline_offer(db.session, offer, scene.owner, reason="", note=None, now=utcnow())
    with pytest.raises(DomainError):
        ops.decline_offer(db.session, offer, scene.owner, reason="price", note="x" * 1001,
                          now=utcnow())
    ops.withdraw_offer(db.session, offer, scene.buyer, now=utcnow())
    assert offer.status == OfferStatus.WITHDRAWN
    with pytest.raises(ConflictError):
        ops.withdraw_offer(db.session, offer, scene.buyer, now=utcnow())
    second = ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(),
                            now=utcnow())
    ops.decline_offer(db.session, second, scene.owner, reason="price", note="太低",
                      now=utcnow())
    counter_by_owner = ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(),
                                      now=utcnow())
    countered = ops.counter_offer(db.session, counter_by_owner, scene.owner, terms=terms(),
                                  now=utcnow())
    ops.decline_offer(db.session, countered, scene.buyer, reason="terms", note=None,
                      now=utcnow())
    db.session.commit()
    summary = ops.feedback_summary(db.session, [scene.university.id])
    assert summary[0]["by_us"] == {"price": 1} and summary[0]["by_them"] == {"terms": 1}


@pytest.mark.parametrize("mode", ["exclusive", "assignment"])
def test_exclusive_accept_closes_others(scene, mode):
    mine = ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(mode=mode),
                          now=utcnow())
    theirs = ops.make_offer(db.session, scene.technology, scene.rival, terms=terms(),
                            now=utcnow())
    ops.accept_offer(db.session, mine, scene.owner, now=utcnow())
    db.session.commit()
    assert theirs.status == OfferStatus.CLOSED
    assert ops.technology_is_closed(db.session, scene.technology)
    with pytest.raises(ConflictError, match="no further offers"):
        ops.make_offer(db.session, scene.technology, scene.rival, terms=terms(), now=utcnow())


def test_offer_on_unpublished_technology_refused(scene):
    scene.technology.archive(utcnow())
    db.session.flush()
    with pytest.raises(ConflictError, match="not published"):
        ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(), now=utcnow())


def test_agreements_listed_for_both_sides(scene):
    offer = ops.make_offer(db.session, scene.technology, scene.buyer,
                           terms=terms(upfront_fee_fen=0), now=utcnow())
    agreement = ops.accept_offer(db.session, offer, scene.owner, now=utcnow())
    db.session.commit()
    assert agreement.is_in_force
    for org in (scene.university, scene.enterprise):
        assert ops.agreements_for_organizations(db.session, [org.id]) == [agreement]
    assert ops.agreements_for_organizations(db.session, [scene.rival_org.id]) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LicenceAgreement)) == 1


def test_offer_steps_post_notices_in_the_conversation(scene):
    conversations = pytest.importorskip("marketplace.conversations.operations")
    if not hasattr(conversations, "post_notice"):
        pytest.skip("the conversations slice has no post_notice yet")
    from marketplace.conversations.models import Conversation, Message

    offer = ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(),
                           now=utcnow())
    counter = ops.counter_offer(db.session, offer, scene.owner, terms=terms(), now=utcnow())
    ops.accept_offer(db.session, counter, scene.buyer, now=utcnow())
    db.session.commit()
    conversation = db.session.scalars(sa.select(Conversation)).one()
    assert (conversation.listing_id, conversation.other_org_id) == (scene.technology.id,
                                                                    scene.enterprise.id)
    notices = db.session.scalars(sa.select(Message).where(
        Message.conversation_id == conversation.id, Message.is_notice)).all()
    assert len(notices) == 3


def test_offers_of_an_organisation_no_longer_verified_cannot_go_on(scene):
    from marketplace.organizations.models import VerificationStatus

    offer = ops.make_offer(db.session, scene.technology, scene.buyer, terms=terms(), now=utcnow())
    scene.enterprise.status = VerificationStatus.PENDING
    db.session.flush()
    with pytest.raises(ConflictError, match="no longer verified"):
        ops.accept_offer(db.session, offer, scene.owner, now=utcnow())
    with pytest.raises(ConflictError, match="no longer verified"):
        ops.counter_offer(db.session, offer, scene.owner, terms=terms(), now=utcnow())
    assert offer.is_open
