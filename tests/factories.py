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


# ---------------------------------------------------------------------------------------------
# instruments, voucher programmes, quotas (step 3)
WEEKDAY_HOURS = {str(d): [["08:00", "12:00"], ["13:00", "18:00"]] for d in range(7)}


def make_instrument(organization=None, *, rate_fen: int = 60_000, published: bool = True,
                    **overrides):
    """A published instrument open 08:00–12:00 and 13:00–18:00 every day, no lead time."""
    from listings.models import Instrument, InstrumentCategory, ListingStatus

    if organization is None:
        organization = make_organization(make_user(), kind=OrganizationKind.UNIVERSITY)
    n = next(_counter)
    values = {
        "organization": organization, "title_zh": f"扫描电子显微镜{n}号", "title_en": f"SEM {n}",
        "summary_zh": "场发射扫描电镜", "district_code": "140403",
        "instrument_category": InstrumentCategory.ELECTRON_MICROSCOPY,
        "rate_internal_fen": rate_fen // 2, "rate_external_fen": rate_fen,
        "min_booking_minutes": 30, "max_booking_minutes": 480, "opening_hours": WEEKDAY_HOURS,
        "closed_dates": [], "requires_training": False, "requires_approval": True,
        "accepts_vouchers": True, "booking_step_minutes": 30, "booking_horizon_days": 90,
        "lead_time_hours": 0, "free_cancellation_hours": 24, "late_cancellation_bp": 5000,
        "no_show_bp": 10000,
        "status": ListingStatus.PUBLISHED if published else ListingStatus.DRAFT,
    }
    values.update(overrides)
    instrument = Instrument(**values)
    if published:
        instrument.published_at = utcnow()
    db.session.add(instrument)
    db.session.flush()
    return instrument


def make_programme(officer=None, *, layers=((5000, 10_000_000), (2000, 4_000_000)),
                   open_: bool = True, **overrides):
    """An open programme; ``layers`` are (share in basis points, budget fen)."""
    from marketplace.vouchers import operations as vouchers

    officer = officer or make_officer()
    specs = [vouchers.LayerSpec(name_zh=f"第{i + 1}级财政", name_en=f"Layer {i + 1}",
                                share_bp=share, budget_fen=budget)
             for i, (share, budget) in enumerate(layers)]
    values = {"name_zh": "测试科技创新券", "validity_days": 90}
    values.update(overrides)
    programme = vouchers.create_programme(officer, layers=specs, **values)
    if open_:
        vouchers.open_programme(programme, officer)
    db.session.flush()
    return programme


def grant(programme, enterprise, amount_fen: int, *, officer=None, now=None):
    """Apply for and grant ``amount_fen`` of quota to ``enterprise``; returns the Quota."""
    from marketplace.vouchers import operations as vouchers

    officer = officer or make_officer()
    now = now or utcnow()
    applicant = enterprise.owners[0] if enterprise.owners else make_user()
    if not enterprise.is_member(applicant):
        enterprise.memberships.append(Membership(user=applicant, role=MemberRole.OWNER))
        db.session.flush()
    application = vouchers.apply_for_quota(programme, enterprise, applicant, amount_fen, "检测",
                                           now)
    return vouchers.grant_quota(application, officer, amount_fen, None, now)


def admit(programme, provider, *, officer=None):
    from marketplace.vouchers import operations as vouchers

    return vouchers.admit_provider(programme, provider, officer or make_officer(), utcnow())
