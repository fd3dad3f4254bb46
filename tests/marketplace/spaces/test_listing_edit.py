"""The landlord's edit form cannot give back area that is let through the platform."""

from __future__ import annotations

import pytest

from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.publishing.operations import update_listing
from marketplace.spaces import operations as ops
from tests.marketplace.spaces.helpers import make_leasing, start_in

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _edit(space, **changes) -> dict:
    values = {"title_zh": space.title_zh, "district_code": space.district_code,
              "space_type": space.space_type.value, "area_m2": space.area_m2,
              "area_free_m2": space.area_free_m2,
              "rent_fen_per_m2_month": space.rent_fen_per_m2_month,
              "min_lease_months": space.min_lease_months}
    values.update(changes)
    return values


def test_free_area_edit_is_bounded_by_active_leases(db):
    w = make_leasing(area_m2=2000)
    offer = ops.make_lease_offer(db.session, w.space, w.tenant, area_m2=1200, term_months=24,
                                 start_date=start_in(), deposit_fen=0, key="edit-guard",
                                 now=utcnow())
    ops.accept_lease_offer(db.session, offer, w.landlord, now=utcnow())
    db.session.commit()
    assert w.space.area_free_m2 == 800

    with pytest.raises(DomainError) as refused:
        update_listing(w.space, w.landlord, _edit(w.space, area_free_m2=2000))
    assert refused.value.field == "area_free_m2" and "1200" in str(refused.value)
    db.session.rollback()

    update_listing(w.space, w.landlord, _edit(w.space, area_free_m2=500))  # let outside: fine
    db.session.commit()
    assert w.space.area_free_m2 == 500
