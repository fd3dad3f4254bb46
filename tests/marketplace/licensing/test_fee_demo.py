"""The demo's express licences: one taken and paid (vouchers 70 %, bank transfer the rest), one
on offer; loading again adds nothing; the ledger and the fee check agree."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.demo import load_demo
from marketplace.extensions import db
from marketplace.licensing.fee_models import ExpressLicence, FeeStatus, LicenceFee
from marketplace.licensing.models import LicenceStatus
from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401  (fixture)
from tests.marketplace.licensing.test_fee_world import assert_clean

pytestmark = pytest.mark.usefixtures("fast_passwords")


def test_the_demo_has_an_express_licence_paid_part_by_voucher_and_one_on_offer(db):
    load_demo()
    db.session.commit()
    load_demo()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(ExpressLicence.id))) == 2
    fee = db.session.scalars(sa.select(LicenceFee)).one()
    assert fee.status == FeeStatus.PAID and fee.agreement.status == LicenceStatus.IN_FORCE
    assert (fee.voucher_fen, fee.self_paid_fen) == (4_200_000, 1_800_000)
    assert fee.agreement.express and fee.programme.admits_technology_transfer
    assert_clean()
