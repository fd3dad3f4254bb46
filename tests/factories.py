"""Test data builders: ``make_<model>(**overrides)`` with sensible defaults; they flush, the test
commits when a request must see the data."""

from __future__ import annotations

import itertools
import random
import string

from marketplace.auth.models import SiteRole, User
from marketplace.extensions import db, utcnow
from marketplace.organizations.credit_code import ALPHABET, complete
from marketplace.organizations.models import (
    MemberRole,
    Membership,
    Organization,
    OrganizationKind,
    OrganizationSize,
    VerificationStatus,
)

DEFAULT_PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)
_rng = random.Random(20261126)


def unique_credit_code(division: str = "140403") -> str:
    """A valid unified social credit code, different on every call."""
    tail = "".join(_rng.choice(ALPHABET) for _ in range(8)) + _rng.choice(string.digits)
    return complete("91" + division + tail)


def make_user(email: str | None = None, *, password: str = DEFAULT_PASSWORD,
              role: SiteRole = SiteRole.USER, name: str | None = None, **overrides) -> User:
    n = next(_counter)
    user = User(email=(email or f"user{n}@example.cn").lower(), display_name=name or f"用户{n}",
                site_role=role, **overrides)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_officer(**overrides) -> User:
    return make_user(role=SiteRole.OFFICER, **overrides)


def make_admin(**overrides) -> User:
    return make_user(role=SiteRole.ADMIN, **overrides)


def make_organization(owner: User | None = None, *, status=VerificationStatus.VERIFIED,
                      kind=OrganizationKind.ENTERPRISE, members=(), **overrides) -> Organization:
    n = next(_counter)
    values = {
        "name_zh": f"长治测试企业{n}有限公司", "name_en": f"Test Enterprise {n}",
        "credit_code": unique_credit_code(), "kind": kind, "industry": "C",
        "district_code": "140403", "size": OrganizationSize.SMALL,
        "description": "测试用企业", "needs": "需要扫描电镜", "status": status,
    }
    values.update(overrides)
    organization = Organization(**values)
    if status != VerificationStatus.PENDING:
        organization.decided_at = utcnow()
    if owner is not None:
        organization.memberships.append(Membership(user=owner, role=MemberRole.OWNER))
    for member in members:
        organization.memberships.append(Membership(user=member, role=MemberRole.MEMBER))
    db.session.add(organization)
    db.session.flush()
    return organization
