"""The licence fees' business check for ``flask ledger verify``: fees, holds, payments and
agreements agree (see ``licensing.fees``).

* a pending fee's voucher holds are all open; a paid fee's are all posted in full; a cancelled
  fee's are all voided; a fee's holds add up to its voucher part;
* a paid fee's payment (if it has a self-paid part) was received, for that part; a cancelled
  fee's payment is not received; a fee with a self-paid part has a payment;
* a paid fee's agreement is in force; at most one fee per agreement is pending or paid (also a
  unique index).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from marketplace.ledger.models import HoldStatus, LedgerTransfer, TransferKind
from marketplace.ledger.queries import Break
from marketplace.licensing.fee_models import FeeStatus, LicenceFee, LicenceFeeHold
from marketplace.licensing.models import LicenceAgreement, LicenceStatus
from marketplace.payments.models import Payment, PaymentStatus

RECEIVED = (PaymentStatus.PAID, PaymentStatus.REFUNDED)
HOLD_STATE = {FeeStatus.PENDING: HoldStatus.PENDING, FeeStatus.PAID: HoldStatus.POSTED,
              FeeStatus.CANCELLED: HoldStatus.VOIDED}


def licence_fee_problems(session: Session) -> list[Break]:
    breaks = []
    post = aliased(LedgerTransfer)
    for fee_id, fee_status, hold_id, amount, hold_status, posted in session.execute(
            sa.select(LicenceFee.id, LicenceFee.status, LicenceFeeHold.transfer_id,
                      LicenceFeeHold.amount_fen, LedgerTransfer.status, post.amount)
            .join(LicenceFeeHold, LicenceFeeHold.fee_id == LicenceFee.id)
            .join(LedgerTransfer, LedgerTransfer.id == LicenceFeeHold.transfer_id)
            .outerjoin(post, sa.and_(post.pending_id == LicenceFeeHold.transfer_id,
                                     post.kind == TransferKind.POST))
            .order_by(LicenceFee.id, LicenceFeeHold.id)):
        if HOLD_STATE[FeeStatus(fee_status)] != hold_status:
            breaks.append(Break("licence_fee_hold", f"licence fee #{fee_id}",
                                f"{fee_status}, hold #{hold_id} {hold_status}"))
        elif fee_status == FeeStatus.PAID and posted != amount:
            breaks.append(Break("licence_fee_posted", f"licence fee #{fee_id}",
                                f"hold #{hold_id} of {amount} posted {posted}"))
    held = sa.func.coalesce(sa.func.sum(LicenceFeeHold.amount_fen), 0)
    for fee_id, says, holds in session.execute(
            sa.select(LicenceFee.id, LicenceFee.voucher_fen, held)
            .outerjoin(LicenceFeeHold, LicenceFeeHold.fee_id == LicenceFee.id)
            .group_by(LicenceFee.id, LicenceFee.voucher_fen)
            .having(held != LicenceFee.voucher_fen).order_by(LicenceFee.id)):
        breaks.append(Break("licence_fee_voucher", f"licence fee #{fee_id}",
                            f"says {says} by voucher, holds add up to {holds}"))
    for fee_id, fee_status, self_paid, payment_id, payment_status, paid_amount, agreement in \
            session.execute(
                sa.select(LicenceFee.id, LicenceFee.status, LicenceFee.self_paid_fen,
                          LicenceFee.payment_id, Payment.status, Payment.amount_fen,
                          LicenceAgreement.status)
                .outerjoin(Payment, Payment.id == LicenceFee.payment_id)
                .join(LicenceAgreement, LicenceAgreement.id == LicenceFee.agreement_id)
                .order_by(LicenceFee.id)):
        subject = f"licence fee #{fee_id}"
        if self_paid > 0 and (payment_id is None or paid_amount != self_paid):
            breaks.append(Break("licence_fee_payment", subject,
                                f"self-paid {self_paid}, payment #{payment_id} of {paid_amount}"))
        if fee_status == FeeStatus.PAID:
            if payment_id is not None and payment_status not in RECEIVED:
                breaks.append(Break("licence_fee_payment", subject,
                                    f"paid, payment #{payment_id} {payment_status}"))
            if agreement != LicenceStatus.IN_FORCE:
                breaks.append(Break("licence_fee_agreement", subject,
                                    f"paid, agreement {agreement}"))
    return breaks
