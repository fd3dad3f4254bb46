"""Builders for the licence fee tests (no tests here): a university's technology offered under
an express licence, an enterprise holding quota in a programme that admits technology transfer
services (city 50 % + district 20 %), the university admitted as a provider."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from marketplace.checks import ALL_CHECKS
from marketplace.extensions import db
from marketplace.ledger.queries import verify
from marketplace.licensing import fees
from marketplace.licensing.fee_checks import licence_fee_problems
from marketplace.organizations.models import OrganizationKind
from marketplace.vouchers.models import TECHNOLOGY_TRANSFER
from tests.factories import admit, grant, make_officer, make_organization, make_programme, make_user
from tests.marketplace.licensing.helpers import make_technology

PRICE = 2_000_000  # ¥20,000
CHECKS = (*ALL_CHECKS, licence_fee_problems)


@dataclass
class FeeWorld:
    officer: object
    owner: object
    university: object
    technology: object
    express: object
    buyer: object
    enterprise: object
    programme: object
    quota: object
    outsider: object


def build_fee_world(*, price: int = PRICE, quota_fen: int | None = 10_000_000,
                    categories=(TECHNOLOGY_TRANSFER,), admitted: bool = True,
                    buyer_controller: str = "张伟", **programme) -> FeeWorld:
    officer = make_officer()
    owner = make_user(name="王教授")
    university = make_organization(owner, kind=OrganizationKind.UNIVERSITY, name_zh="长治学院",
                                   name_en="Changzhi University", actual_controller="长治学院")
    technology = make_technology(university)
    express = fees.set_express_licence(db.session, technology, owner, price_fen=price,
                                       term_years=5, territory="中国大陆",
                                       field_of_use="煤化工催化剂生产", is_active=True)
    buyer = make_user(name="李经理")
    enterprise = make_organization(buyer, name_zh="潞安化工有限公司", name_en="Lu'an Chemicals",
                                   actual_controller=buyer_controller)
    programme = make_programme(officer, eligible_categories=list(categories), **programme)
    if admitted:
        admit(programme, university, officer=officer)
    quota = grant(programme, enterprise, quota_fen, officer=officer) if quota_fen else None
    outsider = make_user()
    db.session.commit()
    return FeeWorld(officer, owner, university, technology, express, buyer, enterprise,
                    programme, quota, outsider)


def key() -> str:
    return uuid.uuid4().hex


def take(world: FeeWorld, *, programme="default", method="bank_transfer", request_key=None,
         user=None, organization=None):
    """Take the world's express licence (committed); returns the fee."""
    fee = fees.take_express_licence(
        db.session, world.technology, user or world.buyer,
        organization=organization or world.enterprise,
        programme=world.programme if programme == "default" else programme, method=method,
        request_key=request_key or key())
    db.session.commit()
    return fee


def assert_clean() -> None:
    db.session.expire_all()
    report = verify(db.session, CHECKS)
    assert report.ok, report.verdict()
