"""Two clicks at once (real threads; on PostgreSQL they really overlap, on SQLite the writer
lock serialises them): one express licence, one fee, one payment, one voucher hold per layer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from listings.models import Technology
from marketplace.auth.models import User
from marketplace.errors import ConflictError
from marketplace.extensions import db
from marketplace.licensing import fees
from marketplace.licensing.fee_models import LicenceFee, LicenceFeeHold
from marketplace.licensing.models import LicenceAgreement
from marketplace.organizations.models import Organization
from marketplace.payments.models import Payment
from marketplace.vouchers.models import VoucherProgramme
from tests.marketplace.bookings.concurrency import run_in_threads
from tests.marketplace.licensing.test_fee_world import assert_clean, build_fee_world
from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _counts():
    db.session.expire_all()
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (LicenceAgreement, LicenceFee, Payment, LicenceFeeHold))


def _taker(world, keys):
    ids = (world.technology.id, world.buyer.id, world.enterprise.id, world.programme.id)

    def target(index):
        technology, user, org, programme = (db.session.get(model, ident) for model, ident in zip(
            (Technology, User, Organization, VoucherProgramme), ids, strict=True))
        try:
            fee = fees.take_express_licence(db.session, technology, user, organization=org,
                                            programme=programme, method="bank_transfer",
                                            request_key=keys[index])
            db.session.commit()
            return fee.id
        except ConflictError:
            db.session.rollback()
            return "conflict"

    return target


def test_two_simultaneous_clicks_with_one_key_take_one_licence(app, db):
    world = build_fee_world()
    outcomes = run_in_threads(app, 2, _taker(world, ["same-key", "same-key"]))
    assert [o.error for o in outcomes] == [None, None]
    assert outcomes[0].value == outcomes[1].value
    assert _counts() == (1, 1, 1, 2)
    assert_clean()


def test_two_simultaneous_tabs_with_two_keys_take_one_licence(app, db):
    world = build_fee_world()
    outcomes = run_in_threads(app, 2, _taker(world, ["tab-1", "tab-2"]))
    assert [o.error for o in outcomes] == [None, None]
    assert sorted(str(o.value) for o in outcomes)[1] == "conflict"
    assert _counts() == (1, 1, 1, 2)
    assert_clean()
