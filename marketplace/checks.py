"""Business invariants that ``flask ledger verify`` checks beside the ledger's own.

Each check takes a session and returns ``Break``s; none repairs anything.
* no hold outlives its booking: open holds only on requested/approved bookings, and every hold of
  such a booking still open; a booking's holds add up to what it says it holds;
* a completed or settled booking's posted holds add up to what vouchers paid;
* no layer has issued more vouchers than its budget (issued = −balance of its budget account);
* no two slot-holding bookings of one instrument overlap;
* a paid batch's bookings are settled, and a settled booking is in a paid batch;
* each campaign's escrow holds exactly its paid pledges, its match-escrow what was matched, and a
  closed campaign has no paid or pending pledge left (``campaigns.pledges``);
* licence fees, their voucher holds, payments and agreements agree (``licensing.fee_checks``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from marketplace.bookings.models import OPEN, SLOT_HOLDING, Booking, BookingHold, BookingStatus
from marketplace.ledger.models import HoldStatus, LedgerAccount, LedgerTransfer, TransferKind
from marketplace.ledger.queries import Break
from marketplace.settlement.models import BatchStatus, ReimbursementBatch, ReimbursementItem
from marketplace.vouchers.models import FundingLayer, accounts


def check_booking_holds(session: Session) -> list[Break]:
    breaks = []
    for booking_id, status, hold_id, hold_status in session.execute(
            sa.select(Booking.id, Booking.status, BookingHold.transfer_id, LedgerTransfer.status)
            .join(BookingHold, BookingHold.booking_id == Booking.id)
            .join(LedgerTransfer, LedgerTransfer.id == BookingHold.transfer_id)
            .where(sa.or_(sa.and_(Booking.status.in_(OPEN), LedgerTransfer.status != HoldStatus.PENDING),
                          sa.and_(Booking.status.not_in(OPEN), LedgerTransfer.status == HoldStatus.PENDING)))
            .order_by(Booking.id)):
        breaks.append(Break("hold_outlives_booking" if hold_status == HoldStatus.PENDING
                            else "booking_lost_hold", f"booking #{booking_id}",
                            f"{status}, hold #{hold_id} {hold_status}"))
    held = sa.func.coalesce(sa.func.sum(BookingHold.amount_fen), 0)
    for booking_id, says, holds in session.execute(
            sa.select(Booking.id, Booking.voucher_held_fen, held)
            .outerjoin(BookingHold, BookingHold.booking_id == Booking.id)
            .group_by(Booking.id, Booking.voucher_held_fen)
            .having(held != Booking.voucher_held_fen).order_by(Booking.id)):
        breaks.append(Break("booking_hold_amount", f"booking #{booking_id}",
                            f"says {says} held, holds add up to {holds}"))
    post = aliased(LedgerTransfer)
    posted = sa.func.coalesce(sa.func.sum(post.amount), 0)
    for booking_id, paid, total in session.execute(
            sa.select(Booking.id, Booking.voucher_paid_fen, posted)
            .outerjoin(BookingHold, BookingHold.booking_id == Booking.id)
            .outerjoin(post, sa.and_(post.pending_id == BookingHold.transfer_id,
                                     post.kind == TransferKind.POST))
            .group_by(Booking.id, Booking.voucher_paid_fen)
            .having(posted != Booking.voucher_paid_fen).order_by(Booking.id)):
        breaks.append(Break("booking_paid_amount", f"booking #{booking_id}",
                            f"says vouchers paid {paid}, holds posted {total}"))
    return breaks


def check_budgets(session: Session) -> list[Break]:
    breaks = []
    layers = session.execute(sa.select(FundingLayer.id, FundingLayer.programme_id,
                                       FundingLayer.budget_fen)).all()
    codes = {accounts.budget(layer_id, programme_id): (layer_id, programme_id, budget)
             for layer_id, programme_id, budget in layers}
    for code, balance in session.execute(
            sa.select(LedgerAccount.code, LedgerAccount.posted_balance)
            .where(LedgerAccount.code.in_(list(codes)))):
        layer_id, programme_id, budget = codes[code]
        if -balance > budget:
            breaks.append(Break("over_budget", f"programme {programme_id} layer {layer_id}",
                                f"issued {-balance}, budget {budget}"))
    return breaks


def check_overlaps(session: Session) -> list[Break]:
    other = aliased(Booking)
    return [Break("double_booking", f"bookings #{a} and #{b}", f"instrument {instrument}")
            for a, b, instrument in session.execute(
                sa.select(Booking.id, other.id, Booking.instrument_id)
                .join(other, sa.and_(other.instrument_id == Booking.instrument_id,
                                     other.id > Booking.id, other.starts_at < Booking.ends_at,
                                     Booking.starts_at < other.ends_at))
                .where(Booking.status.in_(SLOT_HOLDING), other.status.in_(SLOT_HOLDING)))]


def check_settlement(session: Session) -> list[Break]:
    breaks = []
    for booking_id, status, batch_status in session.execute(
            sa.select(Booking.id, Booking.status, ReimbursementBatch.status)
            .outerjoin(ReimbursementItem, ReimbursementItem.booking_id == Booking.id)
            .outerjoin(ReimbursementBatch, ReimbursementBatch.id == ReimbursementItem.batch_id)
            .where(sa.or_(
                sa.and_(Booking.status == BookingStatus.SETTLED,
                        sa.or_(ReimbursementBatch.id.is_(None),
                               ReimbursementBatch.status != BatchStatus.PAID)),
                sa.and_(ReimbursementBatch.status == BatchStatus.PAID,
                        Booking.status != BookingStatus.SETTLED)))):
        breaks.append(Break("settlement_state", f"booking #{booking_id}",
                            f"{status}, batch {batch_status}"))
    # licence-fee items: a paid fee's voucher part in the batch's programme, to the licensor,
    # what its holds posted per layer; moved to reimbursed exactly when the batch is paid
    from marketplace.licensing.fee_models import FeeStatus, LicenceFee, LicenceFeeHold
    from marketplace.licensing.models import LicenceAgreement

    items = session.execute(
        sa.select(ReimbursementItem.id, ReimbursementItem.licence_fee_id,
                  ReimbursementItem.provider_id, ReimbursementItem.amount_fen,
                  ReimbursementItem.layer_amounts, ReimbursementBatch.programme_id,
                  ReimbursementBatch.status, LicenceFee.status, LicenceFee.voucher_fen,
                  LicenceFee.programme_id, LicenceAgreement.licensor_org_id)
        .join(ReimbursementBatch, ReimbursementBatch.id == ReimbursementItem.batch_id)
        .join(LicenceFee, LicenceFee.id == ReimbursementItem.licence_fee_id)
        .join(LicenceAgreement, LicenceAgreement.id == LicenceFee.agreement_id)
        .order_by(ReimbursementItem.id)).all()
    post = aliased(LedgerTransfer)
    posted: dict[int, dict[str, int]] = {}
    for fee_id, layer_id, amount in session.execute(
            sa.select(LicenceFeeHold.fee_id, LicenceFeeHold.layer_id, post.amount)
            .join(post, sa.and_(post.pending_id == LicenceFeeHold.transfer_id,
                                post.kind == TransferKind.POST))
            .where(LicenceFeeHold.fee_id.in_([row[1] for row in items]))):
        layers = posted.setdefault(fee_id, {})
        layers[str(layer_id)] = layers.get(str(layer_id), 0) + amount
    moved = dict(session.execute(
        sa.select(LedgerTransfer.reference_id, sa.func.sum(LedgerTransfer.amount))
        .where(LedgerTransfer.reference_type == "reimbursement_item",
               LedgerTransfer.reference_id.in_([str(row[0]) for row in items]))
        .group_by(LedgerTransfer.reference_id)).all())
    for (item_id, fee_id, provider_id, amount, layer_amounts, programme_id, batch_status,
         fee_status, voucher_fen, fee_programme_id, licensor_id) in items:
        subject = f"reimbursement item #{item_id} (licence fee #{fee_id})"
        if fee_status != FeeStatus.PAID or voucher_fen <= 0:
            breaks.append(Break("settlement_licence_fee", subject,
                                f"fee {fee_status}, {voucher_fen} by voucher"))
        if fee_programme_id != programme_id or provider_id != licensor_id:
            breaks.append(Break("settlement_licence_fee", subject,
                                f"programme {fee_programme_id} / provider {provider_id}, batch "
                                f"programme {programme_id} / licensor {licensor_id}"))
        layers = {k: v for k, v in (layer_amounts or {}).items() if v}
        if amount != voucher_fen or sum(layers.values()) != amount \
                or layers != posted.get(fee_id, {}):
            breaks.append(Break("settlement_licence_fee_amount", subject,
                                f"item {amount} {layers}, fee {voucher_fen} by voucher, holds "
                                f"posted {posted.get(fee_id, {})}"))
        expected = amount if batch_status == BatchStatus.PAID else 0
        if (moved.get(str(item_id)) or 0) != expected:
            breaks.append(Break("settlement_state", subject,
                                f"batch {batch_status}, reimbursed {moved.get(str(item_id)) or 0}"
                                f" of {amount}"))
    return breaks


def check_campaign_escrow(session: Session) -> list[Break]:
    from marketplace.campaigns.pledges import campaign_escrow_problems

    return campaign_escrow_problems(session)


def check_payments(session: Session) -> list[Break]:
    from marketplace.payments.checks import payment_problems

    return payment_problems(session)


def check_licence_fees(session: Session) -> list[Break]:
    from marketplace.licensing.fee_checks import licence_fee_problems

    return licence_fee_problems(session)


ALL_CHECKS = (check_booking_holds, check_budgets, check_overlaps, check_settlement,
              check_campaign_escrow, check_payments, check_licence_fees)
