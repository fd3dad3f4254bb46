"""The payments' business check for ``flask ledger verify``: records and ledger agree.

* a payment that was received (paid or refunded) has its ``payment:<id>:paid`` transfer, of its
  amount; any other payment has none;
* a refund that succeeded has its ``refund:<id>:settled`` transfer; a pending or failed one has
  none; a failed refund's "due" transfer is reversed;
* a payment's ``refunded_fen`` is the sum of its succeeded refunds, and it is ``refunded``
  exactly when that is its whole amount;
* ``cny:refunds-due`` holds exactly the pending refunds (and the refunds of money that arrived
  after its payment was cancelled, until Stripe sends it back).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.ledger.models import LedgerAccount, LedgerTransfer
from marketplace.ledger.queries import Break
from marketplace.payments.accounts import REFUNDS_DUE
from marketplace.payments.models import Payment, PaymentStatus, Refund, RefundStatus

RECEIVED = (PaymentStatus.PAID, PaymentStatus.REFUNDED)


def payment_problems(session: Session) -> list[Break]:
    transfers = {key: amount for key, amount in session.execute(
        sa.select(LedgerTransfer.idempotency_key, LedgerTransfer.amount).where(sa.or_(
            LedgerTransfer.idempotency_key.like("payment:%"),
            LedgerTransfer.idempotency_key.like("refund:%"))))}
    breaks = []
    refunds_by_payment: dict[int, list[Refund]] = {}
    for refund in session.scalars(sa.select(Refund).order_by(Refund.id)):
        refunds_by_payment.setdefault(refund.payment_id, []).append(refund)
        settled = transfers.get(f"refund:{refund.id}:settled")
        if (refund.status == RefundStatus.SUCCEEDED) != (settled is not None):
            breaks.append(Break("refund_ledger", f"refund #{refund.id}",
                                f"{refund.status}, settled transfer {settled}"))
        if settled is not None and settled != refund.amount_fen:
            breaks.append(Break("refund_amount", f"refund #{refund.id}",
                                f"{refund.amount_fen} fen, settled {settled}"))
        due = f"refund:{refund.id}:due" in transfers
        if refund.status == RefundStatus.FAILED and due and \
                f"refund:{refund.id}:failed" not in transfers:
            breaks.append(Break("refund_not_reversed", f"refund #{refund.id}",
                                "failed, but still owed from its account"))
    for payment in session.scalars(sa.select(Payment).order_by(Payment.id)):
        paid = transfers.get(f"payment:{payment.id}:paid")
        if (payment.status in RECEIVED) != (paid is not None):
            breaks.append(Break("payment_ledger", f"payment #{payment.id}",
                                f"{payment.status}, paid transfer {paid}"))
        elif paid is not None and paid != payment.amount_fen:
            breaks.append(Break("payment_amount", f"payment #{payment.id}",
                                f"{payment.amount_fen} fen, credited {paid}"))
        refunded = sum(r.amount_fen for r in refunds_by_payment.get(payment.id, [])
                       if r.status == RefundStatus.SUCCEEDED)
        whole = refunded == payment.amount_fen
        if refunded != payment.refunded_fen or (payment.status == PaymentStatus.REFUNDED) != whole:
            breaks.append(Break("payment_refunded", f"payment #{payment.id}",
                                f"{payment.status}, says {payment.refunded_fen} refunded, "
                                f"refunds add up to {refunded}"))
    owed = sum(r.amount_fen for refunds in refunds_by_payment.values() for r in refunds
               if r.status == RefundStatus.PENDING
               or (r.status == RefundStatus.FAILED and not r.notify_purpose))
    balance = session.scalar(sa.select(LedgerAccount.posted_balance).where(
        LedgerAccount.code == REFUNDS_DUE)) or 0
    if balance != owed:
        breaks.append(Break("refunds_due", REFUNDS_DUE,
                            f"balance {balance}, pending refunds {owed}"))
    return breaks
