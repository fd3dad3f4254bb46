"""Conversation rules: who may open one, idempotence, posting, blocking, unread counts, mail,
attachments, reports."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from marketplace.conversations import operations as ops
from marketplace.conversations.models import Conversation, Message
from marketplace.errors import ConflictError, DomainError, NotAllowedError, NotFoundError
from marketplace.extensions import db
from marketplace.organizations.models import VerificationStatus
from tests.factories import make_organization
from tests.marketplace.bookings.concurrency import run_in_threads
from tests.marketplace.conversations.helpers import PDF, PNG, docx_bytes, make_world


def _open(w):
    conversation = ops.open_conversation(db.session, w.owner_b, listing=w.listing)
    db.session.commit()
    return conversation


def test_member_of_a_verified_organisation_opens_a_conversation_once():
    w = make_world()
    first = _open(w)
    assert (first.listing_org_id, first.other_org_id) == (w.org_a.id, w.org_b.id)
    again = ops.open_conversation(db.session, w.owner_b, listing=w.listing)
    assert again.id == first.id
    # the listing's side opens the same one when it names org B
    mine = ops.open_conversation(db.session, w.member_a, listing=w.listing,
                                 with_organization=w.org_b)
    assert mine.id == first.id
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 1


def test_opening_is_refused_without_a_verified_organisation():
    w = make_world()
    for user in (w.plain, w.pending_user, w.officer):
        with pytest.raises(NotAllowedError):
            ops.open_conversation(db.session, user, listing=w.listing)


def test_listing_side_must_name_a_verified_other_organisation():
    w = make_world()
    with pytest.raises(DomainError) as error:
        ops.open_conversation(db.session, w.owner_a, listing=w.listing)
    assert error.value.field == "with_organization_id"
    with pytest.raises(DomainError):
        ops.open_conversation(db.session, w.owner_a, listing=w.listing, with_organization=w.org_a)
    pending = make_organization(status=VerificationStatus.PENDING)
    with pytest.raises(DomainError):
        ops.open_conversation(db.session, w.owner_a, listing=w.listing, with_organization=pending)


def test_acting_organisation_must_be_ones_own_and_chosen_when_several():
    w = make_world()
    with pytest.raises(NotAllowedError):
        ops.open_conversation(db.session, w.plain, listing=w.listing,
                              acting_organization=w.org_b)
    second = make_organization(w.owner_b)
    db.session.commit()
    with pytest.raises(DomainError) as error:
        ops.open_conversation(db.session, w.owner_b, listing=w.listing)
    assert error.value.field == "acting_organization_id"
    chosen = ops.open_conversation(db.session, w.owner_b, listing=w.listing,
                                   acting_organization=second)
    assert chosen.other_org_id == second.id


def test_unpublished_listing_is_not_open_for_conversations():
    from listings.models import ListingStatus

    w = make_world()
    w.listing.status = ListingStatus.DRAFT
    db.session.commit()
    with pytest.raises(NotFoundError):
        ops.open_conversation(db.session, w.owner_b, listing=w.listing)


def test_messages_unread_counts_and_read_markers():
    w = make_world()
    c = _open(w)
    ops.post_message(db.session, c, w.owner_b, "你好，想预约电镜")
    ops.post_message(db.session, c, w.owner_b, "周三可以吗？")
    db.session.commit()
    assert ops.unread_count(db.session, c, w.owner_a) == 2
    assert ops.unread_count(db.session, c, w.member_a) == 2
    assert ops.unread_count(db.session, c, w.owner_b) == 0  # one's own messages are read
    assert ops.total_unread(db.session, w.owner_a) == 2
    assert ops.mark_read(db.session, c, w.owner_a) is True
    assert ops.mark_read(db.session, c, w.owner_a) is False  # nothing new: no write
    db.session.commit()
    assert ops.unread_count(db.session, c, w.owner_a) == 0
    assert ops.unread_count(db.session, c, w.member_a) == 2
    ops.post_notice(db.session, c, "An offer was made")
    db.session.commit()
    assert ops.unread_count(db.session, c, w.owner_a) == 1
    assert ops.unread_count(db.session, c, w.owner_b) == 1
    [(listed, unread)] = ops.list_conversations(db.session, w.member_a)
    assert (listed.id, unread) == (c.id, 3)


def test_mail_goes_to_the_other_side_once_per_unread_stretch(outbox):
    w = make_world()
    c = _open(w)
    ops.post_message(db.session, c, w.owner_b, "第一条")
    db.session.commit()
    ops.post_message(db.session, c, w.owner_b, "第二条")
    db.session.commit()
    mails = outbox()
    assert sorted(m.recipient for m in mails) == sorted([w.owner_a.email, w.member_a.email])
    assert all(f"/conversations/{c.id}" in m.body for m in mails)
    ops.mark_read(db.session, c, w.owner_a)
    ops.post_message(db.session, c, w.owner_b, "第三条")
    db.session.commit()
    assert [m.recipient for m in outbox()[2:]] == [w.owner_a.email]
    ops.post_message(db.session, c, w.owner_a, "可以")  # answer: org B is mailed
    db.session.commit()
    assert outbox()[-1].recipient == w.owner_b.email


def test_outsiders_cannot_post_and_bad_bodies_are_refused():
    w = make_world()
    c = _open(w)
    for user in (w.plain, w.officer, w.pending_user):
        assert not c.is_participant(user)
        with pytest.raises(NotFoundError):
            ops.post_message(db.session, c, user, "hi")
    with pytest.raises(DomainError) as error:
        ops.post_message(db.session, c, w.owner_b, "   ")
    assert error.value.field == "body"
    with pytest.raises(DomainError):
        ops.post_message(db.session, c, w.owner_b, "长" * 5001)


def test_block_stops_the_other_side_until_unblocked():
    w = make_world()
    c = _open(w)
    ops.block_conversation(db.session, c, w.member_a)
    db.session.commit()
    with pytest.raises(ConflictError):
        ops.post_message(db.session, c, w.owner_b, "为什么？")
    ops.post_message(db.session, c, w.owner_a, "我们暂停沟通")  # the blocking side still may
    with pytest.raises(ConflictError):
        ops.block_conversation(db.session, c, w.owner_b)
    with pytest.raises(NotAllowedError):
        ops.unblock_conversation(db.session, c, w.owner_b)
    ops.unblock_conversation(db.session, c, w.owner_a)
    db.session.commit()
    ops.post_message(db.session, c, w.owner_b, "谢谢")
    with pytest.raises(ConflictError):
        ops.unblock_conversation(db.session, c, w.owner_a)
    with pytest.raises(NotFoundError):
        ops.block_conversation(db.session, c, w.plain)


@pytest.mark.parametrize(("data", "kind"), [
    (PDF, "application/pdf"), (PNG, "image/png"), (b"\xff\xd8\xff\xe0" + b"0" * 20, "image/jpeg"),
    (docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (docx_bytes("xl/workbook.xml"),
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_accepted_attachment_types_are_sniffed(app, data, kind):
    w = make_world()
    c = _open(w)
    message = ops.post_message(db.session, c, w.owner_b, "附件", attachments=[
        ("报价单.bin", io.BytesIO(data))])
    db.session.commit()
    [attachment] = message.attachments
    assert attachment.content_type == kind
    assert attachment.filename.startswith("报价单")
    assert (ops.attachment_dir() / attachment.storage_name).read_bytes() == data


@pytest.mark.parametrize("data", [
    b"MZ\x90\x00 not a pdf", b"<html><script>alert(1)</script>", b"PK\x03\x04broken zip",
    docx_bytes("something/else.xml"), b""])
def test_other_files_are_refused_and_nothing_is_kept(app, data):
    w = make_world()
    c = _open(w)
    before = set(ops.attachment_dir().glob("*")) if ops.attachment_dir().exists() else set()
    with pytest.raises(DomainError) as error:
        ops.post_message(db.session, c, w.owner_b, "附件", attachments=[
            ("evil.pdf", io.BytesIO(data))])
    assert error.value.field == "attachment"
    db.session.rollback()
    after = set(ops.attachment_dir().glob("*")) if ops.attachment_dir().exists() else set()
    assert after == before
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_attachment_over_10_mb_is_refused(app):
    w = make_world()
    c = _open(w)
    big = io.BytesIO(PDF + b"0" * (10 * 1024 * 1024))
    with pytest.raises(DomainError, match="10 MB"):
        ops.post_message(db.session, c, w.owner_b, "大文件", attachments=[("big.pdf", big)])


def test_reports_are_seen_by_officers_and_handled_once():
    w = make_world()
    c = _open(w)
    assert not c.can_view(w.officer)
    with pytest.raises(NotFoundError):
        ops.report_conversation(db.session, c, w.plain, "spam")
    with pytest.raises(DomainError):
        ops.report_conversation(db.session, c, w.owner_a, " ")
    report = ops.report_conversation(db.session, c, w.owner_a, "骚扰信息")
    assert ops.report_conversation(db.session, c, w.owner_a, "again").id == report.id
    db.session.commit()
    assert c.can_view(w.officer) and not c.can_post(w.officer)
    assert [r.id for r in ops.list_open_reports(db.session)] == [report.id]
    with pytest.raises(NotAllowedError):
        ops.handle_report(db.session, report, w.owner_b)
    ops.handle_report(db.session, report, w.officer)
    with pytest.raises(ConflictError):
        ops.handle_report(db.session, report, w.officer)
    assert ops.list_open_reports(db.session) == []


def test_two_requests_opening_at_once_make_one_conversation(app):
    w = make_world()
    listing_id, user_id = w.listing.id, w.owner_b.id

    def start(_index):
        from listings.models import Listing
        from marketplace.auth.models import User

        conversation = ops.open_conversation(db.session, db.session.get(User, user_id),
                                             listing=db.session.get(Listing, listing_id))
        db.session.commit()
        return conversation.id

    outcomes = run_in_threads(app, 2, start)
    assert [o.error for o in outcomes] == [None, None]
    assert len({o.value for o in outcomes}) == 1
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 1
