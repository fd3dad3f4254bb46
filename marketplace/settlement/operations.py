"""Settlement: reimbursement batches that pay providers for voucher-paid bookings and for the
voucher part of licence fees (the licensor is the provider; ``licensing.fees``).

Invariants:
* a booking or licence fee is in at most one batch (UNIQUE ``reimbursement_items.booking_id`` /
  ``licence_fee_id``), so creating a batch twice for a period finds nothing left the second
  time; discarding a draft (or taking an item out) frees them for a later batch;
* an item's amount is what the booking's (or fee's) holds actually posted, per funding layer;
* paying a batch moves each item's layer amounts from the provider's receivable to the
  programme's reimbursed account (one idempotency key per item and layer) and settles the
  bookings, all in one transaction; a batch is paid at most once. A licence fee has no settled
  state: its item in a paid batch is the record that it was reimbursed.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.audit import record_audit
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.errors import DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db
from marketplace.ledger import operations as ledger
from marketplace.ledger.models import LedgerTransfer, TransferKind
from marketplace.licensing.fee_models import FeeStatus, LicenceFee
from marketplace.money import fen_to_input
from marketplace.settlement.models import BatchStatus, ReimbursementBatch, ReimbursementItem
from marketplace.transactions import lock, lock_accounts
from marketplace.vouchers.models import VoucherProgramme, accounts
from marketplace.vouchers.operations import SHANGHAI


class NothingToSettleError(DomainError):
    code = "nothing_to_settle"


def list_unsettled(programme: VoucherProgramme, period_start: date, period_end: date) -> list[Booking]:
    """Completed voucher-paid bookings of the period (by local completion date) in no batch."""
    start = datetime.combine(period_start, time(0), SHANGHAI)
    end = datetime.combine(period_end + timedelta(days=1), time(0), SHANGHAI)
    return list(db.session.scalars(
        sa.select(Booking)
        .outerjoin(ReimbursementItem, ReimbursementItem.booking_id == Booking.id)
        .where(Booking.programme_id == programme.id, Booking.status == BookingStatus.COMPLETED,
               Booking.voucher_paid_fen > 0, Booking.completed_at >= start,
               Booking.completed_at < end, ReimbursementItem.id.is_(None))
        .order_by(Booking.completed_at, Booking.id)))


def list_unsettled_fees(programme: VoucherProgramme, period_start: date,
                        period_end: date) -> list[LicenceFee]:
    """Paid licence fees with a voucher part of the programme, paid in the period (local
    dates), in no batch."""
    start = datetime.combine(period_start, time(0), SHANGHAI)
    end = datetime.combine(period_end + timedelta(days=1), time(0), SHANGHAI)
    return list(db.session.scalars(
        sa.select(LicenceFee)
        .outerjoin(ReimbursementItem, ReimbursementItem.licence_fee_id == LicenceFee.id)
        .where(LicenceFee.programme_id == programme.id, LicenceFee.status == FeeStatus.PAID,
               LicenceFee.voucher_fen > 0, LicenceFee.paid_at >= start,
               LicenceFee.paid_at < end, ReimbursementItem.id.is_(None))
        .order_by(LicenceFee.paid_at, LicenceFee.id)))


def create_batch(programme: VoucherProgramme, officer, period_start: date, period_end: date,
                 now: datetime) -> ReimbursementBatch:
    """Collect the period's unsettled voucher-paid bookings and paid licence fees' voucher
    parts into a draft batch."""
    _require_officer(officer)
    if period_end < period_start:
        raise DomainError(_("The period must end on or after its first day."), "period_end")
    programme = lock(db.session, VoucherProgramme, programme.id)  # one batch-maker at a time
    bookings = list_unsettled(programme, period_start, period_end)
    fees = list_unsettled_fees(programme, period_start, period_end)
    if not bookings and not fees:
        raise NothingToSettleError(_(
            "No completed voucher-paid bookings or paid licence fees from %(start)s to %(end)s "
            "are waiting to be settled.", start=period_start.isoformat(),
            end=period_end.isoformat()))
    batch = ReimbursementBatch(programme_id=programme.id, period_start=period_start,
                               period_end=period_end, status=BatchStatus.DRAFT,
                               created_by_id=officer.id, created_at=now)
    for booking in bookings:
        layers = posted_by_layer(booking)
        amount = sum(layers.values())
        if amount != booking.voucher_paid_fen:
            raise InvalidStateError(f"booking #{booking.id}: holds posted {amount}, "
                                    f"booking says {booking.voucher_paid_fen}")
        batch.items.append(ReimbursementItem(
            booking_id=booking.id, provider_id=booking.instrument.organization_id,
            amount_fen=amount, layer_amounts={str(k): v for k, v in layers.items()},
            invoice_number=booking.invoice_number, usage_summary=usage_summary(booking)))
    for fee in fees:
        layers = _posted(fee.holds)
        amount = sum(layers.values())
        if amount != fee.voucher_fen:
            raise InvalidStateError(f"licence fee #{fee.id}: holds posted {amount}, "
                                    f"fee says {fee.voucher_fen} by voucher")
        batch.items.append(ReimbursementItem(
            licence_fee_id=fee.id, provider_id=fee.agreement.licensor_org_id,
            amount_fen=amount, layer_amounts={str(k): v for k, v in layers.items()},
            invoice_number=None, usage_summary=fee_summary(fee)))
    batch.total_fen = sum(item.amount_fen for item in batch.items)
    db.session.add(batch)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise InvalidStateError(_("Another batch has just taken some of these bookings or "
                                  "licence fees. Please try again.")) from None
    record_audit(officer, "reimbursement_batch.create", batch, after=batch.snapshot())
    return batch


def set_invoice_number(item: ReimbursementItem, officer, invoice_number: str) -> None:
    """Record the provider's invoice number for one item of a draft batch."""
    _require_officer(officer)
    if item.batch.status != BatchStatus.DRAFT:
        raise InvalidStateError(_("Only a draft batch can be changed."))
    value = (invoice_number or "").strip()
    if not value or len(value) > 60:
        raise DomainError(_("Enter the invoice number (at most 60 characters)."), "invoice_number")
    before = {"invoice_number": item.invoice_number}
    item.invoice_number = value
    record_audit(officer, "reimbursement_item.invoice", item, before=before,
                 after={"invoice_number": value})


def remove_item(item: ReimbursementItem, officer) -> None:
    """Take a booking or licence fee out of a draft batch (it waits for a later batch)."""
    _require_officer(officer)
    batch = lock(db.session, ReimbursementBatch, item.batch_id)
    if batch.status != BatchStatus.DRAFT:
        raise InvalidStateError(_("Only a draft batch can be changed."))
    record_audit(officer, "reimbursement_item.remove", batch,
                 before={"booking_id": item.booking_id, "licence_fee_id": item.licence_fee_id,
                         "amount_fen": item.amount_fen})
    batch.items.remove(item)
    batch.total_fen = sum(i.amount_fen for i in batch.items)


def discard_batch(batch: ReimbursementBatch, officer) -> None:
    """Delete a draft batch; its bookings and licence fees wait for the next one."""
    _require_officer(officer)
    batch = lock(db.session, ReimbursementBatch, batch.id)
    if batch.status != BatchStatus.DRAFT:
        raise InvalidStateError(_("Only a draft batch can be discarded."))
    record_audit(officer, "reimbursement_batch.discard", batch, before=batch.snapshot())
    db.session.delete(batch)


def approve_batch(batch: ReimbursementBatch, officer, now: datetime) -> None:
    """Approve a draft batch for payment: every item needs its evidence (invoice number)."""
    _require_officer(officer)
    batch = lock(db.session, ReimbursementBatch, batch.id)
    missing = [item.subject_ref for item in batch.items if not item.invoice_number]
    if batch.status == BatchStatus.DRAFT and missing:
        raise DomainError(_("Items %(ids)s have no invoice number yet; record it or take them "
                            "out of the batch.", ids=", ".join(missing)))
    if batch.status == BatchStatus.DRAFT and not batch.items:
        raise DomainError(_("The batch is empty."))
    before = batch.snapshot()
    batch.approve(officer, now)
    record_audit(officer, "reimbursement_batch.approve", batch, before=before,
                 after=batch.snapshot())


def pay_batch(batch: ReimbursementBatch, officer, reference: str, now: datetime) -> None:
    """Record that the finance bureau paid the batch: receivables → reimbursed; settle."""
    _require_officer(officer)
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        raise DomainError(_("Enter the payment reference of the transfer (at most 100 "
                            "characters)."), "reference")
    batch = lock(db.session, ReimbursementBatch, batch.id)
    before = batch.snapshot()
    batch.mark_paid(officer, reference, now)
    programme_id = batch.programme_id
    codes = []
    for item in batch.items:
        for layer_id in item.layer_amounts:
            codes += [accounts.receivable(item.provider_id, programme_id, int(layer_id)),
                      accounts.reimbursed(programme_id, int(layer_id))]
    for layer in batch.programme.layers:
        ledger.open_account(db.session, accounts.reimbursed(programme_id, layer.id), "VOUCHER",
                            "reimbursed")
    lock_accounts(db.session, codes)
    for item in batch.items:
        for layer_id, amount in sorted(item.layer_amounts.items()):
            if amount <= 0:
                continue
            ledger.transfer(
                db.session, f"reimbursement:item:{item.id}:layer:{layer_id}",
                [(accounts.receivable(item.provider_id, programme_id, int(layer_id)), -amount),
                 (accounts.reimbursed(programme_id, int(layer_id)), amount)],
                memo=(f"batch #{batch.id}, licence fee #{item.licence_fee_id}"
                      if item.is_licence_fee else f"batch #{batch.id}, booking #{item.booking_id}"),
                reference=("reimbursement_item", item.id))
        if item.booking_id is not None:
            booking = lock(db.session, Booking, item.booking_id)
            booking.settle(now)
    record_audit(officer, "reimbursement_batch.pay", batch, before=before, after=batch.snapshot(),
                 note=reference)


def posted_by_layer(booking: Booking) -> dict[int, int]:
    """What the booking's holds actually posted, per funding layer."""
    return _posted(booking.holds)


def _posted(holds) -> dict[int, int]:
    """What the holds (``BookingHold`` or ``LicenceFeeHold``) posted, per funding layer."""
    totals: dict[int, int] = {}
    rows = db.session.execute(
        sa.select(LedgerTransfer.pending_id, LedgerTransfer.amount)
        .where(LedgerTransfer.pending_id.in_([h.transfer_id for h in holds]),
               LedgerTransfer.kind == TransferKind.POST))
    posted = dict(rows.all())
    for hold in holds:
        if posted.get(hold.transfer_id):
            totals[hold.layer_id] = totals.get(hold.layer_id, 0) + posted[hold.transfer_id]
    return totals


def usage_summary(booking: Booking) -> str:
    start = booking.starts_at.astimezone(SHANGHAI)
    minutes = _("%(n)d minutes", n=booking.actual_minutes or booking.minutes)
    return f"{start:%Y-%m-%d %H:%M} {minutes}; {booking.usage_note or ''}".strip().rstrip(";")


def fee_summary(fee: LicenceFee) -> str:
    """Language-neutral: the agreement number, the technology and the local payment date."""
    agreement = fee.agreement
    paid = fee.paid_at.astimezone(SHANGHAI)
    return f"{agreement.number} · {agreement.technology.title_for('zh')} · {paid:%Y-%m-%d}"


def batch_csv(batch: ReimbursementBatch) -> str:
    """The batch for the finance bureau: one row per booking or licence fee, amounts in yuan
    and fen. A licence fee's row says "技术许可费 <agreement number>" in the booking column and
    names the technology in the instrument column."""
    layers = batch.programme.layers
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheet programs read the Chinese text as UTF-8
    writer = _SafeWriter(csv.writer(out))
    writer.writerow([_("Batch"), _("Provider"), _("Credit code"), _("Booking or licence"),
                     _("Enterprise"), _("Instrument or technology"), _("Usage"),
                     _("Invoice number"),
                     *[layer.name_zh for layer in layers], _("Total (yuan)"), _("Total (fen)")])
    for item in batch.items:
        if item.is_licence_fee:
            fee = item.licence_fee
            subject = f"{_('Technology licence fee')} {fee.agreement.number}"
            payer = fee.organization
            service = fee.agreement.technology.title_for("zh")
        else:
            booking = item.booking
            subject, payer = booking.id, booking.organization
            service = booking.instrument.title_for("zh")
        writer.writerow([
            batch.id, item.provider.name_zh, item.provider.credit_code, subject,
            payer.name_zh, service, item.usage_summary, item.invoice_number or "",
            *[fen_to_input(item.layer_amounts.get(str(layer.id), 0)) for layer in layers],
            fen_to_input(item.amount_fen), item.amount_fen])
    writer.writerow([batch.id, _("Total"), "", "", "", "", "", "",
                     *[fen_to_input(sum(i.layer_amounts.get(str(layer.id), 0) for i in batch.items))
                       for layer in layers],
                     fen_to_input(batch.total_fen), batch.total_fen])
    return out.getvalue()


class _SafeWriter:
    """Text typed by users (invoice numbers, titles, names) never reaches a spreadsheet as a
    formula: cells starting with = + - @ or a tab/CR get a leading apostrophe (OWASP CSV
    injection; ASVS 5.0 V1.2.10). Amounts are written as numbers and left alone."""

    FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row) -> None:
        self._writer.writerow([f"'{cell}" if isinstance(cell, str) and cell.startswith(
            self.FORMULA_START) else cell for cell in row])


def _require_officer(user) -> None:
    if not (user and user.is_officer):
        raise NotAllowedError(_("Only programme officers can do this."))
