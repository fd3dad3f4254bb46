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
