"""Licence fee rules (licensing.fees): the voucher share of a licence fee under the programme's
rules, the self-paid rest through payments, idempotency, cancellation, the ledger check."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.organizations.models import MemberRole, Membership
from marketplace.errors import ConflictError, DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db
from marketplace.ledger.models import HoldStatus, LedgerAccount
from marketplace.licensing import fees
from marketplace.licensing.fee_checks import licence_fee_problems
from marketplace.licensing.fee_models import FeeStatus, LicenceFee
from marketplace.licensing.models import LicenceAgreement, LicenceStatus
from marketplace.payments import operations as payments
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.models import TECHNOLOGY_TRANSFER, accounts
from tests.factories import make_organization, make_user
from tests.marketplace.licensing.test_fee_world import (
    PRICE,
    assert_clean,
    build_fee_world,
    key,
    take,
)
from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fast_passwords")


def balance(code: str) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(LedgerAccount.posted_balance)
                             .where(LedgerAccount.code == code)) or 0


def available(code: str) -> int:
    db.session.expire_all()
    account = db.session.scalar(sa.select(LedgerAccount).where(LedgerAccount.code == code))
    return account.available if account else 0


def voucher_left(world) -> int:
    return sum(available(accounts.voucher(world.enterprise.id, world.quota.id, layer.id))
               for layer in world.programme.layers)


def receivable(world) -> int:
    return sum(balance(accounts.receivable(world.university.id, world.programme.id, layer.id))
               for layer in world.programme.layers)


# ---------------------------------------------------------------------------------------------
# the voucher share
def test_express_licence_holds_the_layers_shares_and_starts_a_payment_of_the_rest(db):
    world = build_fee_world()
    fee = take(world)
    agreement = fee.agreement
    assert agreement.express and agreement.status == LicenceStatus.AWAITING_PAYMENT
    assert agreement.mode == "non_exclusive" and agreement.upfront_fee_fen == PRICE
    assert agreement.term_years == 5 and agreement.territory == "中国大陆"
    # city 50 % + district 20 % of ¥20,000
    assert [h.amount_fen for h in fee.holds] == [1_000_000, 400_000]
    assert (fee.voucher_fen, fee.self_paid_fen) == (1_400_000, 600_000)
    assert fee.payment.amount_fen == 600_000 and fee.payment.status == PaymentStatus.PENDING
    assert fee.payment.credit_account == f"org:{world.university.id}:payable"
    assert voucher_left(world) == 10_000_000 - 1_400_000
    assert all(h.transfer.status == HoldStatus.PENDING for h in fee.holds)
    assert_clean()


def test_confirmed_bank_transfer_posts_the_vouchers_and_puts_the_licence_in_force(db):
    world = build_fee_world()
    fee = take(world)
    payments.confirm_bank_transfer(db.session, fee.payment, user=world.owner)
    db.session.commit()
    db.session.expire_all()
    assert fee.status == FeeStatus.PAID and fee.paid_at is not None
    assert fee.agreement.status == LicenceStatus.IN_FORCE and fee.agreement.paid_at is not None
    assert receivable(world) == 1_400_000
    assert balance(f"org:{world.university.id}:payable") == 600_000
    assert voucher_left(world) == 10_000_000 - 1_400_000
    assert all(h.transfer.status == HoldStatus.POSTED for h in fee.holds)
    assert_clean()


def test_vouchers_pay_what_is_left_of_the_quota(db):
    world = build_fee_world(quota_fen=500_000)
    fee = take(world)
    assert fee.voucher_fen == 500_000 and fee.self_paid_fen == PRICE - 500_000
    assert voucher_left(world) == 0
    assert_clean()


def test_a_fee_below_the_full_payment_threshold_is_paid_by_vouchers_alone_at_once(db):
    world = build_fee_world(price=200_000, full_payment_threshold_fen=300_000)
    fee = take(world)
    assert fee.status == FeeStatus.PAID and fee.payment is None
    assert (fee.voucher_fen, fee.self_paid_fen) == (200_000, 0)
    assert fee.agreement.status == LicenceStatus.IN_FORCE
    assert receivable(world) == 200_000
    assert_clean()


def test_without_a_programme_the_licensee_pays_everything(db):
    world = build_fee_world()
    fee = take(world, programme=None)
    assert fee.voucher_fen == 0 and fee.holds == [] and fee.programme_id is None
    assert fee.payment.amount_fen == PRICE
    assert_clean()


@pytest.mark.parametrize("categories", [(), ("x_ray",), ("electron_microscopy", "x_ray")])
def test_a_programme_that_does_not_list_technology_transfer_refuses(db, categories):
    world = build_fee_world(categories=categories)
    with pytest.raises(vouchers.VoucherError, match="does not pay for Technology transfer"):
        take(world)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(LicenceAgreement.id))) == 0


def test_technology_transfer_is_an_extra_category_instruments_keep_their_rule(db):
    world = build_fee_world(categories=(TECHNOLOGY_TRANSFER,))
    programme = world.programme
    assert programme.admits_technology_transfer
    assert programme.covers_category("x_ray")  # no instrument category listed: all of them
    programme.eligible_categories = ["x_ray", TECHNOLOGY_TRANSFER]
    assert programme.covers_category("x_ray") and not programme.covers_category("spectroscopy")
    programme.eligible_categories = []
    assert programme.covers_category("x_ray") and not programme.admits_technology_transfer
    db.session.rollback()


def test_vouchers_refuse_a_related_party(db):
    world = build_fee_world(buyer_controller="长治学院")  # same actual controller
    with pytest.raises(vouchers.VoucherError, match="related party"):
        take(world)


def test_vouchers_refuse_a_licensor_not_admitted_to_the_programme(db):
    world = build_fee_world(admitted=False)
    with pytest.raises(vouchers.VoucherError, match="not an admitted provider"):
        take(world)


def test_vouchers_refuse_an_enterprise_without_quota(db):
    world = build_fee_world(quota_fen=None)
    with pytest.raises(vouchers.VoucherError, match="no granted, unexpired voucher quota"):
        take(world)


def test_vouchers_are_for_enterprises_only(db):
    world = build_fee_world()
    lab_user = make_user()
    lab = make_organization(lab_user, kind="university")
    db.session.commit()
    with pytest.raises(vouchers.VoucherError, match="verified enterprises"):
        take(world, user=lab_user, organization=lab)


# ---------------------------------------------------------------------------------------------
# idempotency and one fee at a time
def test_the_same_request_key_makes_one_agreement_one_fee_one_payment(db):
    world = build_fee_world()
    request_key = key()
    first = take(world, request_key=request_key)
    again = take(world, request_key=request_key)
    assert again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count(LicenceAgreement.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(LicenceFee.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 1
    assert voucher_left(world) == 10_000_000 - 1_400_000
    assert_clean()


def test_another_user_cannot_replay_someone_elses_request_key(db):
    world = build_fee_world()
    request_key = key()
    take(world, request_key=request_key)
    colleague = make_user()
    world.enterprise.memberships.append(Membership(user=colleague, role=MemberRole.MEMBER))
    db.session.commit()
    with pytest.raises(ConflictError):
        take(world, request_key=request_key, user=colleague)


def test_a_second_express_licence_for_the_same_licensee_is_refused(db):
    world = build_fee_world()
    take(world)
    with pytest.raises(ConflictError, match="already taken this express licence"):
        take(world)


def test_a_second_fee_payment_while_one_is_under_way_is_refused(db):
    world = build_fee_world()
    fee = take(world)
    with pytest.raises(ConflictError, match="already under way"):
        fees.start_fee_payment(db.session, fee.agreement, world.buyer, programme=None,
                               method="bank_transfer", request_key=key())


def test_a_paid_fee_cannot_be_paid_again(db):
    world = build_fee_world()
    fee = take(world)
    payments.confirm_bank_transfer(db.session, fee.payment, user=world.owner)
    db.session.commit()
    with pytest.raises(InvalidStateError):
        fees.start_fee_payment(db.session, fee.agreement, world.buyer, programme=None,
                               method="bank_transfer", request_key=key())


# ---------------------------------------------------------------------------------------------
# cancellation
def test_cancelling_the_payment_releases_the_vouchers_and_the_fee_can_be_paid_again(db):
    world = build_fee_world()
    fee = take(world)
    payments.cancel_payment(db.session, fee.payment, reason="换一种方式", by=world.buyer,
                            notify=True)
    db.session.commit()
    db.session.expire_all()
    assert fee.status == FeeStatus.CANCELLED
    assert all(h.transfer.status == HoldStatus.VOIDED for h in fee.holds)
    assert voucher_left(world) == 10_000_000
    assert fee.agreement.status == LicenceStatus.AWAITING_PAYMENT
    again = fees.start_fee_payment(db.session, fee.agreement, world.buyer,
                                   programme=world.programme, method="bank_transfer",
                                   request_key=key())
    db.session.commit()
    assert again.id != fee.id and again.voucher_fen == 1_400_000
    assert_clean()


def test_a_failed_stripe_payment_keeps_the_holds_for_a_retry(db):
    world = build_fee_world()
    fee = take(world)
    payment = db.session.get(Payment, fee.payment_id)
    payments._mark_failed(db.session, payment, reason="card declined", now=payment.created_at)
    db.session.commit()
    db.session.expire_all()
    assert fee.status == FeeStatus.PENDING
    assert all(h.transfer.status == HoldStatus.PENDING for h in fee.holds)
    assert_clean()


# ---------------------------------------------------------------------------------------------
# permissions and bad input (operations)
def test_only_the_licensee_pays(db):
    world = build_fee_world()
    fee = take(world)
    payments.cancel_payment(db.session, fee.payment, reason="", by=world.buyer, notify=True)
    db.session.commit()
    for user in (world.owner, world.outsider):
        with pytest.raises(NotAllowedError):
            fees.start_fee_payment(db.session, fee.agreement, user, programme=None,
                                   method="bank_transfer", request_key=key())
        db.session.rollback()
    assert not fees.can_pay(fee.agreement, world.owner)
    assert fees.can_pay(fee.agreement, world.buyer)


def test_only_members_of_the_licensee_take_the_licence(db):
    world = build_fee_world()
    with pytest.raises(NotAllowedError):
        take(world, user=world.outsider)


def test_the_owner_cannot_license_its_own_technology(db):
    world = build_fee_world()
    with pytest.raises(DomainError, match="own technology"):
        take(world, user=world.owner, organization=world.university, programme=None)


def test_a_withdrawn_express_licence_cannot_be_taken(db):
    world = build_fee_world()
    fees.set_express_licence(db.session, world.technology, world.owner, price_fen=PRICE,
                             term_years=5, territory="中国", field_of_use="煤化工",
                             is_active=False)
    db.session.commit()
    with pytest.raises(fees.ExpressNotOfferedError):
        take(world)


def test_only_the_owner_sets_the_express_licence(db):
    world = build_fee_world()
    with pytest.raises(NotAllowedError):
        fees.set_express_licence(db.session, world.technology, world.buyer, price_fen=1,
                                 term_years=1, territory="中国", field_of_use="x",
                                 is_active=True)


@pytest.mark.parametrize(("changes", "field"), [
    ({"price_fen": 0}, "price"), ({"price_fen": -5}, "price"),
    ({"price_fen": 100_000_000_001}, "price"), ({"price_fen": 1.5}, "price"),
    ({"term_years": 0}, "term_years"), ({"term_years": 51}, "term_years"),
    ({"territory": "  "}, "territory"), ({"territory": "国" * 201}, "territory"),
    ({"field_of_use": ""}, "field_of_use"), ({"field_of_use": "用" * 301}, "field_of_use"),
])
def test_express_terms_are_checked(db, changes, field):
    world = build_fee_world()
    values = {"price_fen": PRICE, "term_years": 5, "territory": "中国", "field_of_use": "煤化工",
              "is_active": True, **changes}
    with pytest.raises(DomainError) as refused:
        fees.set_express_licence(db.session, world.technology, world.owner, **values)
    assert refused.value.field == field


def test_an_express_licence_needs_the_non_exclusive_mode_on_the_listing(db):
    world = build_fee_world()
    world.technology.licensing_modes = ["exclusive"]
    db.session.commit()
    with pytest.raises(DomainError, match="non-exclusive"):
        fees.set_express_licence(db.session, world.technology, world.owner, price_fen=PRICE,
                                 term_years=5, territory="中国", field_of_use="煤化工",
                                 is_active=True)


def test_a_bad_payment_method_or_key_is_refused(db):
    world = build_fee_world()
    with pytest.raises(DomainError, match="Choose how you will pay"):
        take(world, method="cash")
    db.session.rollback()
    with pytest.raises(DomainError, match="expired"):
        take(world, request_key="k" * 65)


# ---------------------------------------------------------------------------------------------
# the ledger check
@pytest.mark.ledger_breaks
def test_the_check_reports_a_paid_fee_whose_agreement_is_not_in_force(db):
    world = build_fee_world()
    fee = take(world)
    payments.confirm_bank_transfer(db.session, fee.payment, user=world.owner)
    db.session.commit()
    db.session.execute(sa.update(LicenceAgreement).values(status="awaiting_payment",
                                                          paid_at=None))
    db.session.execute(sa.update(LicenceFee).values(voucher_fen=1_300_000,
                                                    self_paid_fen=PRICE - 1_300_000))
    db.session.commit()
    found = {b.check for b in licence_fee_problems(db.session)}
    assert {"licence_fee_agreement", "licence_fee_voucher", "licence_fee_payment"} <= found


def test_the_licensor_hears_of_the_take_and_both_sides_of_the_payment(db, outbox):
    world = build_fee_world()
    fee = take(world)
    taken = [m for m in outbox() if m.recipient == world.owner.email]
    assert len(taken) == 1 and fee.agreement.number in taken[0].subject
    payments.confirm_bank_transfer(db.session, fee.payment, user=world.owner)
    db.session.commit()
    # each in the recipient's language (the demo users' default is Chinese)
    in_force = [m for m in outbox() if "in force" in m.subject or "已生效" in m.subject]
    assert sorted(m.recipient for m in in_force) == sorted([world.owner.email, world.buyer.email])


def test_a_hold_released_after_its_quota_expired_goes_back_to_the_budget(db):
    from datetime import timedelta

    world = build_fee_world()
    fee = take(world)
    vouchers.expire_quotas(world.quota.expires_at + timedelta(seconds=1))
    db.session.commit()
    assert voucher_left(world) == 0  # the unspent rest went back; the holds stay
    budgets = [accounts.budget(layer.id, world.programme.id) for layer in world.programme.layers]
    issued = -sum(balance(code) for code in budgets)
    assert issued == 1_400_000
    payments.cancel_payment(db.session, fee.payment, reason="", by=world.buyer, notify=True)
    db.session.commit()
    assert -sum(balance(code) for code in budgets) == 0
    assert db.session.get(type(world.quota), world.quota.id).returned_fen == 10_000_000
    assert_clean()
