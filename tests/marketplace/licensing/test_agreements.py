"""conclude_agreement and technology_is_closed: the interface the fee slice builds on."""

from __future__ import annotations

import pytest

from marketplace.errors import ConflictError, DomainError
from marketplace.extensions import db, utcnow
from marketplace.licensing import operations as ops
from marketplace.licensing.models import LicenceStatus
from tests.factories import make_organization, make_user
from tests.marketplace.licensing.helpers import terms


def test_fee_means_awaiting_payment_then_mark_paid(scene):
    agreement = ops.conclude_agreement(db.session, technology=scene.technology,
                                       licensee_org=scene.enterprise, terms=terms())
    db.session.commit()
    assert agreement.status == LicenceStatus.AWAITING_PAYMENT and not agreement.is_in_force
    assert agreement.number == f"CZ-TL-{agreement.concluded_at.year}-{agreement.id:06d}"
    assert agreement.licensor_org_id == scene.university.id
    assert agreement.milestones == [{"title": "首批量产", "amount_fen": 2_000_000,
                                     "due": "2027-06-30"}]
    now = utcnow()
    agreement.mark_paid(now)
    agreement.mark_paid(utcnow())  # no-op
    db.session.commit()
    assert agreement.is_in_force and agreement.paid_at == now


def test_no_fee_is_in_force_at_once(scene):
    agreement = ops.conclude_agreement(db.session, technology=scene.technology,
                                       licensee_org=scene.enterprise,
                                       terms=terms(upfront_fee_fen=0), express=True)
    db.session.commit()
    assert agreement.is_in_force and agreement.express and agreement.paid_at is None


@pytest.mark.parametrize("mode", ["exclusive", "assignment"])
def test_exclusive_or_assignment_closes_the_technology(scene, mode):
    assert not ops.technology_is_closed(db.session, scene.technology)
    ops.conclude_agreement(db.session, technology=scene.technology,
                           licensee_org=scene.enterprise, terms=terms(mode=mode))
    db.session.commit()
    assert ops.technology_is_closed(db.session, scene.technology)
    with pytest.raises(ConflictError):
        ops.conclude_agreement(db.session, technology=scene.technology,
                               licensee_org=scene.rival_org, terms=terms())


def test_non_exclusive_licences_do_not_close_but_block_exclusive(scene):
    ops.conclude_agreement(db.session, technology=scene.technology,
                           licensee_org=scene.enterprise, terms=terms())
    ops.conclude_agreement(db.session, technology=scene.technology,
                           licensee_org=scene.rival_org, terms=terms())
    db.session.commit()
    assert not ops.technology_is_closed(db.session, scene.technology)
    third = make_organization(make_user())
    with pytest.raises(ConflictError, match="no longer be licensed exclusively"):
        ops.conclude_agreement(db.session, technology=scene.technology, licensee_org=third,
                               terms=terms(mode="exclusive"))


def test_own_technology_refused(scene):
    with pytest.raises(DomainError, match="its own technology"):
        ops.conclude_agreement(db.session, technology=scene.technology,
                               licensee_org=scene.university, terms=terms())


@pytest.mark.parametrize(("change", "field"), [
    ({"mode": "rent"}, "mode"),
    ({"term_years": 0}, "term_years"),
    ({"term_years": 51}, "term_years"),
    ({"term_years": "5"}, "term_years"),
    ({"upfront_fee_fen": -1}, "upfront_fee"),
    ({"upfront_fee_fen": 1.5}, "upfront_fee"),
    ({"royalty_bp": 10001}, "royalty"),
    ({"royalty_bp": True}, "royalty"),
    ({"field_of_use": "x" * 301}, "field_of_use"),
    ({"territory": "x" * 201}, "territory"),
    ({"milestones": [{"title": "", "amount_fen": 1}]}, "milestones"),
    ({"milestones": [{"title": "a", "amount_fen": -1}]}, "milestones"),
    ({"milestones": [{"title": "a", "amount_fen": 1, "due": "2027-02-30"}]}, "milestones"),
    ({"milestones": [{"title": "a", "amount_fen": 1}] * 21}, "milestones"),
])
def test_bad_terms_refused(scene, change, field):
    with pytest.raises(DomainError) as caught:
        ops.conclude_agreement(db.session, technology=scene.technology,
                               licensee_org=scene.enterprise, terms=terms(**change))
    assert caught.value.field == field
