"""Voucher programme rules: caps, budgets (first come, first served), eligibility, expiry."""

from __future__ import annotations

import pytest

from marketplace.errors import ConflictError, DomainError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import OrganizationKind, VerificationStatus
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.models import ApplicationStatus
from tests.factories import grant, make_officer, make_organization, make_programme, make_user
from tests.marketplace.bookings.helpers import assert_ledger_balanced


def enterprise():
    user = make_user()
    return make_organization(user), user


def test_grant_splits_over_layers_and_respects_the_budget(db):
    officer = make_officer()
    programme = make_programme(officer, layers=((5000, 50_000), (2000, 20_000)))
    org, _user = enterprise()
    quota = grant(programme, org, 70_000, officer=officer)
    assert quota.amount_fen == 70_000
    assert [vouchers.remaining_budget_fen(layer) for layer in programme.layers] == [0, 0]
    other, _ = enterprise()
    db.session.commit()
    with pytest.raises(vouchers.BudgetExhaustedError, match="left"):
        grant(programme, other, 10_000, officer=officer)
    db.session.rollback()
    assert_ledger_balanced()


def test_per_application_and_annual_caps(db):
    officer = make_officer()
    programme = make_programme(officer, per_application_cap_fen=2_000_000,
                               annual_cap_per_enterprise_fen=3_000_000)
    org, user = enterprise()
    with pytest.raises(vouchers.CapExceededError):
        vouchers.apply_for_quota(programme, org, user, 2_000_001, "", utcnow())
    grant(programme, org, 2_000_000, officer=officer)
    db.session.commit()
    application = vouchers.apply_for_quota(programme, org, user, 2_000_000, "", utcnow())
    db.session.commit()
    with pytest.raises(vouchers.CapExceededError, match="annual cap"):
        vouchers.grant_quota(application, officer, 2_000_000, None, utcnow())
    db.session.rollback()
    vouchers.grant_quota(application, officer, 1_000_000, "部分批准", utcnow())  # partly
    assert application.status == ApplicationStatus.GRANTED and application.granted_fen == 1_000_000
    assert_ledger_balanced()


def test_only_verified_enterprises_apply_and_only_officers_decide(db):
    officer = make_officer()
    programme = make_programme(officer)
    user = make_user()
    pending = make_organization(user, status=VerificationStatus.PENDING)
    with pytest.raises(vouchers.VoucherError, match="verified"):
        vouchers.apply_for_quota(programme, pending, user, 1000, "", utcnow())
    lab = make_organization(user, kind=OrganizationKind.UNIVERSITY)
    with pytest.raises(vouchers.VoucherError, match="enterprises"):
        vouchers.apply_for_quota(programme, lab, user, 1000, "", utcnow())
    org, owner = enterprise()
    application = vouchers.apply_for_quota(programme, org, owner, 1000, "", utcnow())
    with pytest.raises(ConflictError):
        vouchers.apply_for_quota(programme, org, owner, 1000, "", utcnow())
    with pytest.raises(NotAllowedError):
        vouchers.grant_quota(application, owner, 1000, None, utcnow())
    with pytest.raises(DomainError, match="why"):
        vouchers.refuse_quota(application, officer, "  ", utcnow())
    vouchers.refuse_quota(application, officer, "材料不全", utcnow())
    assert application.status == ApplicationStatus.REFUSED


def test_programme_layers_are_validated(db):
    officer = make_officer()
    with pytest.raises(DomainError, match="whole bill"):
        make_programme(officer, layers=((8000, 1), (3000, 1)))
    with pytest.raises(DomainError):
        make_programme(officer, layers=())
