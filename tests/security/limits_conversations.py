"""S8 bad-input cases for the conversations forms (step 5); appended in ``test_limits``.

The world is that of the S1 rows (``rows_conversations.conversation_world``). The 10 MB limit is
tested on the operation (tests/marketplace/conversations): a body that large makes the test
client spool to a temporary file it never closes (a ResourceWarning in a later test).
"""

from __future__ import annotations

import io

import tests.security.test_authz_matrix  # noqa: F401  (first: it imports rows_conversations)
from tests.security.rows_conversations import conversation_world
from tests.security.test_limits import FormCases

C = {"extra": conversation_world, "listing_status": "published"}


def _conv(suffix):
    return lambda w: f"/conversations/{w.extra['conversation']}{suffix}"


def _file(data: bytes, name: str = "方案.pdf"):
    return lambda w: {"body": "见附件", "attachment": (io.BytesIO(data), name)}


# fmt: off
CONVERSATION_FORMS: list = [
    FormCases("start a conversation", "conversations.start", "owner_a",
              lambda w: f"/conversations/start/{w.listing_a}", {
                  "empty": lambda w: {},
                  "not a number": lambda w: {"with_organization_id": "abc"},
                  "negative": lambda w: {"with_organization_id": "-1"},
                  "huge": lambda w: {"with_organization_id": "9" * 30},
                  "unknown organisation": lambda w: {"with_organization_id": "999999"},
                  "itself": lambda w: {"with_organization_id": str(w.org_a_id)},
              }, **C),
    FormCases("write a message", "conversations.post", "other_org", _conv("/messages"), {
        "empty": lambda w: {},
        "blank": lambda w: {"body": "   "},
        "too long": lambda w: {"body": "长" * 5001},
        "an executable": _file(b"MZ\x90\x00\x03\x00\x00\x00", "报价.pdf"),
        "html as a png": _file(b"<html><script>alert(1)</script></html>", "x.png"),
        "a broken zip": _file(b"PK\x03\x04 not really", "x.docx"),
        "an empty file": _file(b"", "x.pdf"),
    }, **C),
    FormCases("report a conversation", "conversations.report", "other_org", _conv("/report"), {
        "empty": lambda w: {},
        "blank": lambda w: {"reason": "  "},
        "too long": lambda w: {"reason": "报" * 2001},
    }, **C),
]
# fmt: on
CONVERSATION_BUTTONS: set[str] = {"conversations.block", "conversations.unblock",
                                  "conversations.handle_report"}
