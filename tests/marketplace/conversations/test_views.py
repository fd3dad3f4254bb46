"""Conversation pages: wiring, permissions (allowed and denied), both languages, attachments
served to participants only, the listing card, the nav badge, the office's reports."""

from __future__ import annotations

import io

import sqlalchemy as sa

from marketplace.conversations import operations as ops
from marketplace.conversations.models import Conversation, ConversationReport, Message
from marketplace.extensions import db
from tests.factories import make_organization, make_user
from tests.marketplace.conversations.helpers import PDF, make_world


def _as(client, auth, user):
    """Sign in as ``user``, reading the pages in English (the messages asserted on)."""
    auth.logout()
    auth.login_as(user)
    client.post("/language", data={"lang": "en"})


def _start(client, w):
    response = client.post(f"/conversations/start/{w.listing.id}")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_start_write_and_read_in_both_languages(client, auth):
    w = make_world()
    _as(client, auth, w.owner_b)
    page = client.get(f"/listings/{w.listing.id}").get_data(as_text=True)
    assert f'action="/conversations/start/{w.listing.id}"' in page
    cid = _start(client, w)
    assert _start(client, w) == cid  # the same conversation again
    response = client.post(f"/conversations/{cid}/messages",
                           data={"body": "<b>你好</b>", "attachment": (io.BytesIO(PDF), "方案.pdf")})
    assert response.status_code == 302
    page = client.get(f"/listings/{w.listing.id}").get_data(as_text=True)
    assert f"/conversations/{cid}" in page  # "open the conversation" now
    _as(client, auth, w.member_a)
    for lang, word in (("zh_CN", "潞州精密"), ("en", "Send")):
        client.post("/language", data={"lang": lang, "next": "/"})
        nav = client.get("/conversations/").get_data(as_text=True)
        assert "潞州精密" in nav
        text = client.get(f"/conversations/{cid}").get_data(as_text=True)
        assert word in text and "&lt;b&gt;你好&lt;/b&gt;" in text and "<b>你好" not in text
        assert "方案.pdf" in text
    assert 'data-testid="unread-badge"' not in client.get("/conversations/").get_data(as_text=True)


def test_unread_badge_in_the_nav_until_opened(client, auth):
    w = make_world()
    c = ops.open_conversation(db.session, w.owner_b, listing=w.listing)
    ops.post_message(db.session, c, w.owner_b, "在吗")
    db.session.commit()
    _as(client, auth, w.owner_a)
    assert 'data-testid="unread-badge"' in client.get("/conversations/").get_data(as_text=True)
    assert client.get(f"/conversations/{c.id}").status_code == 200
    assert 'data-testid="unread-badge"' not in client.get("/conversations/").get_data(as_text=True)


def test_outsiders_get_404_everywhere(client, auth):
    w = make_world()
    c = ops.open_conversation(db.session, w.owner_b, listing=w.listing)
    message = ops.post_message(db.session, c, w.owner_b, "报价", attachments=[
        ("a.pdf", io.BytesIO(PDF))])
    db.session.commit()
    attachment_url = f"/conversations/{c.id}/attachments/{message.attachments[0].id}"
    for user in (w.plain, w.pending_user, w.officer):
        _as(client, auth, user)
        assert client.get(f"/conversations/{c.id}").status_code == 404
        assert client.get(attachment_url).status_code == 404
        assert client.post(f"/conversations/{c.id}/messages", data={"body": "x"}).status_code == 404
        assert client.post(f"/conversations/{c.id}/block").status_code == 404
        assert client.post(f"/conversations/{c.id}/report", data={"reason": "x"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1
    _as(client, auth, w.owner_a)
    response = client.get(attachment_url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
    # an attachment id under another conversation's address
    third = make_organization(make_user())
    other = ops.open_conversation(db.session, w.owner_a, listing=w.listing,
                                  with_organization=third)
    db.session.commit()
    assert client.get(f"/conversations/{other.id}/attachments/"
                      f"{message.attachments[0].id}").status_code == 404


def test_start_is_refused_for_users_without_a_verified_organisation(client, auth):
    w = make_world()
    for user in (w.plain, w.pending_user):
        _as(client, auth, user)
        assert client.post(f"/conversations/start/{w.listing.id}").status_code == 403
    _as(client, auth, w.owner_a)  # the listing's side must name the other organisation
    assert client.post(f"/conversations/start/{w.listing.id}").status_code == 400
    assert client.post(f"/conversations/start/{w.listing.id}",
                       data={"with_organization_id": "999999"}).status_code == 400
    assert client.post(f"/conversations/start/{w.listing.id}",
                       data={"with_organization_id": "abc"}).status_code == 400
    response = client.post(f"/conversations/start/{w.listing.id}",
                           data={"with_organization_id": str(w.org_b.id)})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 1


def test_bad_message_input_gives_form_errors(client, auth):
    w = make_world()
    c = ops.open_conversation(db.session, w.owner_b, listing=w.listing)
    db.session.commit()
    _as(client, auth, w.owner_b)
    url = f"/conversations/{c.id}/messages"
    assert client.post(url, data={"body": ""}).status_code == 400
    assert client.post(url, data={"body": "长" * 5001}).status_code == 400
    response = client.post(url, data={"body": "看附件", "attachment": (io.BytesIO(b"MZ\x90"), "x.pdf")})
    assert response.status_code == 400
    assert "Only PDF, PNG, JPEG" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_block_unblock_and_report_through_the_pages(client, auth):
    w = make_world()
    c = ops.open_conversation(db.session, w.owner_b, listing=w.listing)
    db.session.commit()
    _as(client, auth, w.owner_a)
    assert client.post(f"/conversations/{c.id}/block").status_code == 302
    assert client.post(f"/conversations/{c.id}/block").status_code == 409
    _as(client, auth, w.owner_b)
    page = client.get(f"/conversations/{c.id}").get_data(as_text=True)
    assert 'data-testid="blocked"' in page and "message-form" not in page
    assert "长治大学 blocked this conversation." in page  # the notice, in the reader's language
    assert client.post(f"/conversations/{c.id}/messages", data={"body": "喂"}).status_code == 409
    assert client.post(f"/conversations/{c.id}/unblock").status_code == 403
    assert client.post(f"/conversations/{c.id}/report", data={"reason": ""}).status_code == 400
    assert client.post(f"/conversations/{c.id}/report",
                       data={"reason": "被无故屏蔽"}).status_code == 302
    report = db.session.scalars(sa.select(ConversationReport)).one()
    _as(client, auth, w.officer)
    office = client.get("/office/").get_data(as_text=True)
    assert "被无故屏蔽" in office and f"/conversations/{c.id}" in office
    page = client.get(f"/conversations/{c.id}")
    assert page.status_code == 200 and "read-only" in page.get_data(as_text=True)
    assert client.post(f"/conversations/{c.id}/messages", data={"body": "x"}).status_code == 403
    _as(client, auth, w.owner_b)
    assert client.post(f"/conversations/reports/{report.id}/handle").status_code == 403
    _as(client, auth, w.officer)
    assert client.post(f"/conversations/reports/{report.id}/handle").status_code == 302
    assert client.post(f"/conversations/reports/{report.id}/handle").status_code == 409
    assert "被无故屏蔽" not in client.get("/office/").get_data(as_text=True)
    _as(client, auth, w.owner_a)
    assert client.post(f"/conversations/{c.id}/unblock").status_code == 302
    db.session.expire_all()
    assert not db.session.get(Conversation, c.id).is_blocked


def test_anonymous_visitors_are_sent_to_sign_in(client):
    w = make_world()
    page = client.get(f"/listings/{w.listing.id}").get_data(as_text=True)
    assert "/auth/login" in page
    assert client.get("/conversations/").status_code == 302
    assert client.post(f"/conversations/start/{w.listing.id}").status_code == 302


def test_conversation_outlives_its_deleted_listing(client, auth):
    from listings.models import Listing
    from marketplace.publishing import operations as publishing

    w = make_world()
    c = ops.open_conversation(db.session, w.owner_b, listing=w.listing)
    ops.post_message(db.session, c, w.owner_b, "还在吗")
    db.session.commit()
    publishing.archive_listing(w.listing, w.owner_a)
    db.session.commit()
    publishing.delete_listing(db.session.get(Listing, w.listing.id), w.owner_a)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Conversation, c.id).listing_id is None
    _as(client, auth, w.owner_b)
    assert client.get("/conversations/").status_code == 200
    page = client.get(f"/conversations/{c.id}")
    assert page.status_code == 200 and "a deleted listing" in page.get_data(as_text=True)
    assert client.post(f"/conversations/{c.id}/messages", data={"body": "好"}).status_code == 302
