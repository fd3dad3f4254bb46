"""The demo licensing: an NDA accepted, a counter-offer awaiting the enterprise, an agreement in
force, decline feedback; idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from listings.models import Technology
from marketplace.demo import load_demo
from marketplace.demo_licensing import ALU, GEOPOLYMER, HARD_CARBON, SD_MATERIALS
from marketplace.extensions import db
from marketplace.licensing import operations as ops
from marketplace.licensing.models import (
    LicenceAgreement,
    LicenceEnquiry,
    LicenceOffer,
    NdaAcceptance,
    OfferStatus,
)
from marketplace.organizations.models import Organization


def _counts():
    return {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (NdaAcceptance, LicenceEnquiry, LicenceOffer, LicenceAgreement)}


def test_demo_licensing_and_idempotent():
    load_demo()
    db.session.commit()
    first = _counts()
    load_demo()
    db.session.commit()
    assert _counts() == first
    technologies = {t.title_zh: t for t in db.session.scalars(sa.select(Technology))}
    alu = technologies[ALU]
    offers = ops.offers_for_organizations(db.session, [alu.organization_id])
    open_alu = [o for o in offers if o.technology_id == alu.id and o.status == OfferStatus.OPEN]
    assert len(open_alu) == 1 and open_alu[0].author_org_id == alu.organization_id
    assert ops.list_agreements(db.session, technologies[GEOPOLYMER])[0].is_in_force
    institute = db.session.scalars(sa.select(Organization).where(
        Organization.credit_code.startswith(SD_MATERIALS))).one()
    summary = {r["technology"].title_zh: r for r in ops.feedback_summary(db.session,
                                                                          [institute.id])}
    assert summary[HARD_CARBON]["by_us"] == {"too_early": 1, "price": 1}
