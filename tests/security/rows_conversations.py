"""S1 rows for the conversations routes (step 5); appended to ``test_authz_matrix.ROWS``.

The world (``listing_status=PUB``: org A's published instrument ``listing_a``; org A is owner_a +
member_a, org B is other_org): ``conversation_world`` adds, through the real operations, org B's
conversation with org A about listing_a and one message from other_org with a PDF attached
(``conversation``, ``attachment``), unread for org A's members, so that their opening the page
moves their read marker (``200!``). ``reported`` adds other_org's open report (officers may read,
not write); ``blocked``: org A has blocked it. Outsiders — plain, and officers without a report —
get 404 for everything; officers act only on reports.
"""

from __future__ import annotations

import io

from tests.security.test_authz_matrix import ALL, MISSING, OFFICERS, PUB, SIGNED_IN, Row, fixed

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _user(w, persona):
    from marketplace.auth.models import User
    from marketplace.extensions import db

    return db.session.get(User, w.uid(persona))


def conversation_world(w, *, reported: bool = False, blocked: bool = False,
                       handled: bool = False) -> None:
    from listings.models import Listing
    from marketplace.conversations import operations as ops
    from marketplace.extensions import db

    other = _user(w, "other_org")
    conversation = ops.open_conversation(db.session, other,
                                         listing=db.session.get(Listing, w.listing_a))
    message = ops.post_message(db.session, conversation, other, "想预约电镜，附方案",
                               attachments=[("方案.pdf", io.BytesIO(PDF))])
    if reported or handled:
        report = ops.report_conversation(db.session, conversation, other, "对方发送广告")
        db.session.flush()
        w.extra["report"] = report.id
        if handled:
            ops.handle_report(db.session, report, _user(w, "officer"))
    if blocked:
        ops.block_conversation(db.session, conversation, _user(w, "owner_a"))
    db.session.commit()
    w.extra.update(conversation=conversation.id, attachment=message.attachments[0].id)


def _conv(suffix: str = "", missing: bool = False):
    return lambda w: f"/conversations/{MISSING if missing else w.extra['conversation']}{suffix}"


def _attachment(w):
    return f"/conversations/{w.extra['conversation']}/attachments/{w.extra['attachment']}"


def _start(missing: bool = False):
    return lambda w: f"/conversations/start/{MISSING if missing else w.listing_a}"


def _report(suffix: str = "/handle", missing: bool = False):
    return lambda w: f"/conversations/reports/{MISSING if missing else w.extra['report']}{suffix}"


def data(**values):
    return lambda w: dict(values)


C = {"extra": conversation_world, "listing_status": PUB}
REPORTED = {"extra": lambda w: conversation_world(w, reported=True), "listing_status": PUB}
HANDLED = {"extra": lambda w: conversation_world(w, handled=True), "listing_status": PUB}
BLOCKED = {"extra": lambda w: conversation_world(w, blocked=True), "listing_status": PUB}

# fmt: off
#                                                  anon  plain memA ownA  other offcr admin
CONVERSATION_ROWS: list = [
    Row("conversations.index", "GET", "", SIGNED_IN("L", "200"), fixed("/conversations/"), **C),
    Row("conversations.show", "GET", "", "L    404  200! 200! 200  404  404", _conv(), **C),
    Row("conversations.show", "GET", "reported", "L    404  200! 200! 200  200  200", _conv(),
        **REPORTED),
    Row("conversations.show", "GET", "missing", SIGNED_IN("L", "404"), _conv(missing=True), **C),
    # --- opening (from the listing page) -----------------------------------------------------
    Row("conversations.start", "GET", "", ALL("405"), _start(), listing_status=PUB),
    # org A's members must name the other side; plain and officers have no verified organisation
    Row("conversations.start", "POST", "", "L    403  400  400  302! 403  403", _start(),
        listing_status=PUB),
    Row("conversations.start", "POST", "with-organization", "L    403  302! 302! 302! 403  403",
        _start(), lambda w: {"with_organization_id": str(w.org_b_id)}, listing_status=PUB),
    Row("conversations.start", "POST", "existing", "L    403  302  302  302  403  403", _start(),
        lambda w: {"with_organization_id": str(w.org_b_id)}, **C),
    Row("conversations.start", "POST", "draft", SIGNED_IN("L", "404"), _start(),
        lambda w: {"with_organization_id": str(w.org_b_id)}, listing_status="draft"),
    Row("conversations.start", "POST", "missing", SIGNED_IN("L", "404"), _start(missing=True),
        listing_status=PUB),
    # --- writing -------------------------------------------------------------------------------
    Row("conversations.post", "GET", "", ALL("405"), _conv("/messages"), **C),
    Row("conversations.post", "POST", "", "L    404  302! 302! 302! 404  404", _conv("/messages"),
        data(body="周三上午可以"), **C),
    Row("conversations.post", "POST", "reported", "L    404  302! 302! 302! 403  403",
        _conv("/messages"), data(body="周三上午可以"), **REPORTED),
    Row("conversations.post", "POST", "blocked", "L    404  302! 302! 409  404  404",
        _conv("/messages"), data(body="周三上午可以"), **BLOCKED),
    Row("conversations.post", "POST", "missing", SIGNED_IN("L", "404"),
        _conv("/messages", missing=True), data(body="你好"), **C),
    Row("conversations.attachment", "GET", "", "L    404  200  200  200  404  404", _attachment,
        **C),
    Row("conversations.attachment", "GET", "reported", "L    404  200  200  200  404  404",
        _attachment, **REPORTED),
    Row("conversations.attachment", "GET", "missing", SIGNED_IN("L", "404"),
        lambda w: f"/conversations/{w.extra['conversation']}/attachments/{MISSING}", **C),
    # --- blocking ------------------------------------------------------------------------------
    Row("conversations.block", "GET", "", ALL("405"), _conv("/block"), **C),
    Row("conversations.block", "POST", "", "L    404  302! 302! 302! 404  404", _conv("/block"),
        **C),
    Row("conversations.block", "POST", "blocked", "L    404  409  409  409  404  404",
        _conv("/block"), **BLOCKED),
    Row("conversations.block", "POST", "reported", "L    404  302! 302! 302! 403  403",
        _conv("/block"), **REPORTED),
    Row("conversations.unblock", "GET", "", ALL("405"), _conv("/unblock"), **BLOCKED),
    Row("conversations.unblock", "POST", "", "L    404  302! 302! 403  404  404",
        _conv("/unblock"), **BLOCKED),
    Row("conversations.unblock", "POST", "not-blocked", "L    404  409  409  409  404  404",
        _conv("/unblock"), **C),
    # --- reporting -----------------------------------------------------------------------------
    Row("conversations.report", "GET", "", ALL("405"), _conv("/report"), **C),
    Row("conversations.report", "POST", "", "L    404  302! 302! 302! 404  404", _conv("/report"),
        data(reason="对方发送广告"), **C),
    # other_org's open report is not made twice
    Row("conversations.report", "POST", "reported", "L    404  302! 302! 302  403  403",
        _conv("/report"), data(reason="对方发送广告"), **REPORTED),
    Row("conversations.handle_report", "GET", "", ALL("405"), _report(), **REPORTED),
    Row("conversations.handle_report", "POST", "", OFFICERS("302!"), _report(), **REPORTED),
    Row("conversations.handle_report", "POST", "handled", OFFICERS("409"), _report(), **HANDLED),
    Row("conversations.handle_report", "POST", "missing", OFFICERS("404"), _report(missing=True),
        **REPORTED),
]
# fmt: on
