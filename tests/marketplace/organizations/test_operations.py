"""Organisation rules: registration, editing, verification, membership."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.errors import (
    ConflictError,
    DomainError,
    DuplicateCreditCodeError,
    InvalidStateError,
    NotAllowedError,
    NotFoundError,
)
from marketplace.organizations import operations
from marketplace.organizations.models import (
    MemberRole,
    Organization,
    OrganizationKind,
    VerificationStatus,
)
from tests.factories import (
    make_admin,
    make_officer,
    make_organization,
    make_user,
    unique_credit_code,
)


def _fields(**overrides):
    values = {"name_zh": "长治市测试科技有限公司", "name_en": "Test Tech", "credit_code": unique_credit_code(),
              "kind": "enterprise", "industry": "C", "district_code": "140404401", "size": "small",
              "description": "做传感器", "needs": "需要扫描电镜", "actual_controller": "张三",
              "address": "", "contact_phone": "", "website": ""}
    values.update(overrides)
    return values


def _count(model) -> int:
    from marketplace.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_organization_makes_creator_owner_and_awaits_verification(db):
    user = make_user()
    org = operations.create_organization(user, **_fields())
    db.session.commit()
    assert org.status == VerificationStatus.PENDING
    assert org.owners == [user]
    assert org.address is None  # blank optional fields are stored as NULL
    assert not org.can_publish(user)
    entry = db.session.scalar(sa.select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.object_id) == ("organization.registered", user.id, str(org.id))


def test_create_organization_refuses_a_wrong_check_character(db):
    user = make_user()
    code = unique_credit_code()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(DomainError) as excinfo:
        operations.create_organization(user, **_fields(credit_code=wrong))
    assert excinfo.value.field == "credit_code"
    assert "18" in str(excinfo.value.message) or "check" in str(excinfo.value.message).lower() \
        or "校验" in str(excinfo.value.message)
    assert _count(Organization) == 0


def test_create_organization_refuses_duplicate_credit_code(db):
    code = unique_credit_code()
    operations.create_organization(make_user(), **_fields(credit_code=code))
    db.session.commit()
    with pytest.raises(DuplicateCreditCodeError):
        operations.create_organization(make_user(), **_fields(credit_code=code.lower()))
    assert _count(Organization) == 1


@pytest.mark.parametrize(("field", "value"), [("district_code", "110101"), ("industry", "Z"),
                                              ("name_zh", "   ")])
def test_create_organization_validates_reference_fields(db, field, value):
    with pytest.raises(DomainError) as excinfo:
        operations.create_organization(make_user(), **_fields(**{field: value}))
    assert excinfo.value.field == field


def test_only_admins_create_programme_offices(db):
    with pytest.raises(DomainError):
        operations.create_organization(make_user(), **_fields(kind="programme_office"))
    org = operations.create_organization(make_admin(), **_fields(kind="programme_office"))
    assert org.kind == OrganizationKind.PROGRAMME_OFFICE


def test_verify_and_reject_need_an_officer_and_a_pending_organisation(db, outbox):
    owner, officer = make_user(), make_officer()
    org = make_organization(owner, status=VerificationStatus.PENDING)
    with pytest.raises(NotAllowedError):
        operations.verify_organization(org, owner)
    with pytest.raises(DomainError) as excinfo:
        operations.reject_organization(org, officer, "  ")
    assert excinfo.value.field == "reason"
    operations.verify_organization(org, officer)
    db.session.commit()
    assert org.is_verified and org.decided_by_id == officer.id and org.can_publish(owner)
    with pytest.raises(InvalidStateError):
        operations.verify_organization(org, officer)
    with pytest.raises(InvalidStateError):
        operations.reject_organization(org, officer, "too late")
    messages = outbox()
    assert [m.recipient for m in messages] == [owner.email]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "organization.verified"))
    assert entry.before["status"] == "pending" and entry.after["status"] == "verified"
    assert entry.actor_id == officer.id


def test_rejection_keeps_reason_and_editing_resubmits(db):
    owner, officer = make_user(), make_officer()
    org = make_organization(owner, status=VerificationStatus.PENDING)
    operations.reject_organization(org, officer, "营业执照名称不符")
    assert org.status == VerificationStatus.REJECTED and org.rejection_reason == "营业执照名称不符"
    back = operations.update_organization(org, owner, name_zh="长治市更正后名称有限公司")
    assert back is True and org.status == VerificationStatus.PENDING


def test_identity_change_of_verified_organisation_needs_new_verification(db):
    owner = make_user()
    org = make_organization(owner)
    assert operations.update_organization(org, owner, description="新的介绍") is False
    assert org.is_verified
    assert operations.update_organization(org, owner, credit_code=unique_credit_code()) is True
    assert org.status == VerificationStatus.PENDING


def test_only_owners_edit(db):
    owner, member, outsider = make_user(), make_user(), make_user()
    org = make_organization(owner, members=[member])
    for user in (member, outsider):
        with pytest.raises(NotAllowedError):
            operations.update_organization(org, user, description="x")


def test_members_are_added_by_owner_and_last_owner_stays(db):
    owner, colleague = make_user(), make_user("colleague@example.cn")
    org = make_organization(owner)
    with pytest.raises(NotFoundError):
        operations.add_member(org, owner, "nobody@example.cn", MemberRole.MEMBER)
    membership = operations.add_member(org, owner, "COLLEAGUE@example.cn", MemberRole.MEMBER)
    with pytest.raises(ConflictError):
        operations.add_member(org, owner, colleague.email, MemberRole.OWNER)
    with pytest.raises(NotAllowedError):
        operations.add_member(org, colleague, "x@example.cn", MemberRole.MEMBER)
    owner_membership = org.memberships[0]
    with pytest.raises(ConflictError):
        operations.remove_member(org, owner, owner_membership)
    operations.remove_member(org, colleague, membership)  # a member may leave
    assert not org.is_member(colleague)


@pytest.mark.parametrize(("persona", "view", "view_private", "edit", "manage", "verify"), [
    ("anonymous", True, False, False, False, False),
    ("outsider", True, False, False, False, False),
    ("member", True, True, False, False, False),
    ("owner", True, True, True, True, False),
    ("officer", True, True, False, False, True),
    ("admin", True, True, True, False, True),
])
def test_permission_predicates_on_a_verified_organisation(db, persona, view, view_private, edit,
                                                          manage, verify):
    from flask_login import AnonymousUserMixin

    owner, member = make_user(), make_user()
    org = make_organization(owner, members=[member])
    user = {"anonymous": AnonymousUserMixin(), "outsider": make_user(), "member": member,
            "owner": owner, "officer": make_officer(), "admin": make_admin()}[persona]
    assert org.can_view(user) is view
    assert org.can_view_private(user) is view_private
    assert org.can_edit(user) is edit
    assert org.can_manage_members(user) is manage
    assert org.can_verify(user) is verify


def test_pending_organisation_is_hidden_from_outsiders(db):
    from flask_login import AnonymousUserMixin

    owner = make_user()
    org = make_organization(owner, status=VerificationStatus.PENDING)
    assert not org.can_view(AnonymousUserMixin())
    assert not org.can_view(make_user())
    assert org.can_view(owner) and org.can_view(make_officer())
