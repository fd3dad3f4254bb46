"""A small world for the conversation tests: org A (a university: owner, member) owns a
published instrument; org B (a verified enterprise: owner) may write to it; plus a user without
an organisation, a member of a pending organisation and an officer."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.extensions import db
from marketplace.organizations.models import OrganizationKind, VerificationStatus
from tests.factories import make_instrument, make_officer, make_organization, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass
class World:
    owner_a: object
    member_a: object
    org_a: object
    owner_b: object
    org_b: object
    listing: object
    plain: object
    pending_user: object
    officer: object


def make_world() -> World:
    owner_a, member_a, owner_b = make_user(), make_user(), make_user()
    org_a = make_organization(owner_a, kind=OrganizationKind.UNIVERSITY, members=(member_a,),
                              name_zh="长治大学")
    org_b = make_organization(owner_b, name_zh="潞州精密")
    pending_user = make_user()
    make_organization(pending_user, status=VerificationStatus.PENDING)
    world = World(owner_a, member_a, org_a, owner_b, org_b, make_instrument(org_a), make_user(),
                  pending_user, make_officer())
    db.session.commit()
    return world


def docx_bytes(marker: str = "word/document.xml") -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(marker, "<x/>")
    return buffer.getvalue()
