"""Booking operations: quote, book, approve or reject, cancel, record usage or a no-show, and
the training records that gate some instruments.

Invariants:
* one instrument never has two slot-holding bookings that overlap (checked here for a clear
  message; guaranteed by the database: exclusion constraint / trigger);
* a booking paid by voucher holds the voucher share at request time, in the same transaction as
  the booking row; the holds are posted on completion (for the actual use, never above the
  hold; the rest is released) or voided on rejection, cancellation or a no-show — always in the
  transaction that changes the booking's status, so status and holds never disagree;
* a hold on a quota that has expired meanwhile goes back to the budget when it is released;
* a retried request (same ``request_key``) returns the booking the first one made;
* a prepaid self-paid share is squared with the charge in the transaction that fixes the charge
  (excess refunded, a pending prepayment of a rejected or cancelled booking cancelled: see
  ``payments.booking_payments.settle_self_paid``).
Lock order, the same in every flow: booking → quotas → ledger accounts (sorted, all at once).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from listings.models import Instrument
from marketplace.audit import record_audit
from marketplace.auth.models import User, normalize_email
from marketplace.bookings import rules
from marketplace.bookings.models import (
    OPEN,
    SLOT_HOLDING,
    Booking,
    BookingHold,
    BookingStatus,
    Qualification,
)
from marketplace.campaigns import operations as campaign_hours
from marketplace.errors import ConflictError, DomainError, NotAllowedError, NotFoundError
from marketplace.extensions import db
from marketplace.ledger import operations as ledger
from marketplace.ledger.models import HoldStatus
from marketplace.mail import send_mail
from marketplace.payments import booking_payments
from marketplace.money import format_fen
from marketplace.organizations.models import Membership
from marketplace.transactions import begin_write, lock, lock_accounts
from marketplace.urls import external_url
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.models import Quota, VoucherProgramme, accounts

log = logging.getLogger(__name__)


class SlotTakenError(ConflictError):
    code = "slot_taken"


class TrainingRequiredError(DomainError):
    status_code = 403
    code = "training_required"


# ---------------------------------------------------------------------------------------------
# quoting
@dataclass
class BookingQuote:
    instrument: object
    organization: object
    starts_at: datetime
    ends_at: datetime
    rate_fen: int
    price_fen: int
    voucher: vouchers.VoucherQuote | None = None
    pledged_hours: object | None = None  # the campaign grant that makes this booking free

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def voucher_fen(self) -> int:
        return self.voucher.voucher_fen if self.voucher and not self.voucher.refusal else 0

    @property
    def self_paid_fen(self) -> int:
        return self.price_fen - self.voucher_fen


def rate_for(instrument, organization) -> int:
    """Members of the instrument's own organisation pay the internal rate."""
    if organization.id == instrument.organization_id:
        return instrument.rate_internal_fen
    return instrument.rate_external_fen


def quote_booking(instrument, organization, user, starts_at: datetime, ends_at: datetime,
                  programme: VoucherProgramme | None, now: datetime, *,
                  for_update: bool = False, use_pledged_hours: bool = False) -> BookingQuote:
    """Check every rule for this slot and price it; raises the first rule it breaks. With
    ``use_pledged_hours`` the slot is free, taken from the organisation's pledged hours of this
    instrument (a successful campaign's grant), which must cover all of it."""
    if not organization.is_member(user):
        raise NotAllowedError(_("You can only book for an organisation you belong to."))
    if not instrument.is_published:
        raise DomainError(_("This instrument is not open for booking."))
    rules.check_slot(instrument, starts_at, ends_at, now)
    if instrument.requires_training and not is_qualified(instrument, user):
        raise TrainingRequiredError(_(
            "This instrument may only be used after training by %(provider)s; ask the lab to "
            "record your training first.", provider=instrument.organization.name_zh))
    clash = find_overlapping(instrument, starts_at, ends_at)
    if clash is not None:
        raise SlotTakenError(_("That time is already taken (%(start)s–%(end)s). Please choose "
                               "another slot.", start=_clock(clash.starts_at),
                               end=_clock(clash.ends_at)), "starts_at")
    rate = rate_for(instrument, organization)
    minutes = int((ends_at - starts_at).total_seconds() // 60)
    quote = BookingQuote(instrument=instrument, organization=organization, starts_at=starts_at,
                         ends_at=ends_at, rate_fen=rate, price_fen=rules.price_fen(rate, minutes))
    if use_pledged_hours:
        if programme is not None:
            raise DomainError(_("Pledged hours are free: do not choose vouchers as well."),
                              "programme_id")
        quote.pledged_hours = campaign_hours.find_pledged_hours(
            db.session, instrument, organization, minutes, for_update=for_update)
        quote.price_fen = 0
        return quote
    if programme is not None:
        quote.voucher = vouchers.quote_vouchers(programme, organization, instrument,
                                                quote.price_fen, now, for_update=for_update)
    return quote


def find_overlapping(instrument, starts_at: datetime, ends_at: datetime,
                     exclude_id: int | None = None) -> Booking | None:
    query = sa.select(Booking).where(
        Booking.instrument_id == instrument.id, Booking.status.in_(SLOT_HOLDING),
        Booking.starts_at < ends_at, starts_at < Booking.ends_at)
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    return db.session.scalars(query.limit(1)).first()


def list_taken(instrument, start: datetime, end: datetime) -> list[Booking]:
    """Slot-holding bookings of an instrument that touch [start, end)."""
    return list(db.session.scalars(
        sa.select(Booking).where(Booking.instrument_id == instrument.id,
                                 Booking.status.in_(SLOT_HOLDING),
                                 Booking.starts_at < end, start < Booking.ends_at)
        .order_by(Booking.starts_at)))


def offers_instruments_query(user_id) -> sa.Exists:
    """Whether one of the user's organisations offers an instrument, as an EXISTS (the menu's
    "Lab bookings" link; ``user_id``: the id, or a bind parameter standing for it)."""
    own = Membership.organization_ids_of(user_id)
    return sa.select(Instrument.id).where(Instrument.organization_id.in_(own)).exists()


# ---------------------------------------------------------------------------------------------
# booking
def create_booking(instrument, organization, user, starts_at: datetime, ends_at: datetime, *,
                   programme: VoucherProgramme | None, purpose: str, request_key: str,
                   now: datetime, use_pledged_hours: bool = False) -> Booking:
    """Book a slot; with a programme, hold the voucher share. Approved at once unless the
    instrument needs approval. The same ``request_key`` again returns the first booking."""
    if not request_key or len(request_key) > 64:
        raise DomainError(_("The booking form has expired. Please reload the page."))
    begin_write(db.session)
    if (existing := _by_request_key(request_key)) is not None:
        return _replay(existing, user)
    quote = quote_booking(instrument, organization, user, starts_at, ends_at, programme, now,
                          for_update=True, use_pledged_hours=use_pledged_hours)
    if quote.voucher is not None and quote.voucher.refusal:
        raise vouchers.VoucherError(quote.voucher.refusal, "programme_id")
    booking = Booking(
        instrument_id=instrument.id, organization_id=organization.id, booked_by_id=user.id,
        starts_at=starts_at, ends_at=ends_at, purpose=(purpose or "").strip(),
        status=BookingStatus.APPROVED if not instrument.requires_approval else BookingStatus.REQUESTED,
        rate_fen=quote.rate_fen, price_fen=quote.price_fen,
        programme_id=programme.id if quote.voucher_fen else None,
        voucher_held_fen=quote.voucher_fen, request_key=request_key, created_at=now)
    if booking.status == BookingStatus.APPROVED:
        booking.decided_at = now
    try:
        with db.session.begin_nested():
            db.session.add(booking)
            db.session.flush()
    except sa.exc.IntegrityError as error:
        # a twin request with this key committed first: answer with its booking, whichever
        # constraint the database happened to check first
        if (existing := _by_request_key(request_key)) is not None:
            return _replay(existing, user)
        if is_overlap_error(error):
            raise SlotTakenError(_("Someone has just booked that time. Please choose another "
                                   "slot."), "starts_at") from None
        raise
    if quote.voucher_fen:
        for draw in quote.voucher.draws:
            result = ledger.hold(
                db.session, f"booking:{booking.id}:hold:quota:{draw.quota.id}:layer:{draw.layer.id}",
                accounts.voucher(organization.id, draw.quota.id, draw.layer.id),
                accounts.receivable(instrument.organization_id, programme.id, draw.layer.id),
                draw.amount, memo=f"booking #{booking.id}", reference=("booking", booking.id))
            db.session.add(BookingHold(booking=booking, quota_id=draw.quota.id,
                                       layer_id=draw.layer.id, transfer_id=result.transfer.id,
                                       amount_fen=draw.amount))
        db.session.flush()
    if quote.pledged_hours is not None:  # the grant is locked: taken with the booking, or not
        campaign_hours.use_pledged_hours(db.session, quote.pledged_hours, booking, booking.minutes)
    record_audit(user, "booking.create", booking, after=booking.snapshot())
    _notify_booking(booking, "created")
    return booking


def approve_booking(booking: Booking, user, now: datetime) -> Booking:
    """The provider confirms a requested booking."""
    booking = _lock_booking(booking)
    if not booking.is_provider(user):
        raise NotAllowedError(_("Only the lab that owns the instrument can approve bookings."))
    before = booking.snapshot()
    booking.approve(user, now)
    record_audit(user, "booking.approve", booking, before=before, after=booking.snapshot())
    _notify_booking(booking, "approved")
    return booking


def reject_booking(booking: Booking, user, reason: str, now: datetime) -> Booking:
    """The provider declines a requested booking; its voucher holds are released."""
    booking = _lock_booking(booking)
    if not booking.is_provider(user):
        raise NotAllowedError(_("Only the lab that owns the instrument can reject bookings."))
    if not (reason or "").strip():
        raise DomainError(_("Tell the user why the booking is rejected."), "reason")
    before = booking.snapshot()
    booking.reject(user, reason.strip(), now)
    _release_holds(booking, "reject")
    campaign_hours.return_pledged_hours(db.session, booking, now)
    booking_payments.settle_self_paid(db.session, booking, now=now, by=user)
    record_audit(user, "booking.reject", booking, before=before, after=booking.snapshot(),
                 note=reason)
    _notify_booking(booking, "rejected")
    return booking


def cancel_booking(booking: Booking, user, reason: str, now: datetime) -> Booking:
    """The booker cancels: free until the instrument's limit, then a share is charged (paid by
    the booker, not by vouchers). Voucher holds are released."""
    booking = _lock_booking(booking)
    if not booking.is_booker(user):
        raise NotAllowedError(_("Only the organisation that booked can cancel."))
    if booking.is_open and now >= booking.ends_at:
        raise DomainError(_("This booking is over; it can no longer be cancelled."))
    fee = rules.cancellation_fee(booking, booking.instrument, now)
    if booking.status == BookingStatus.REQUESTED:
        fee = 0  # never confirmed: nothing was reserved for the booker
    before = booking.snapshot()
    booking.cancel(user, (reason or "").strip(), fee, now)
    _release_holds(booking, "cancel")
    campaign_hours.return_pledged_hours(db.session, booking, now)
    booking_payments.settle_self_paid(db.session, booking, now=now, by=user)
    record_audit(user, "booking.cancel", booking, before=before, after=booking.snapshot(),
                 note=reason)
    _notify_booking(booking, "cancelled")
    return booking


def record_no_show(booking: Booking, user, now: datetime) -> Booking:
    """The provider records that nobody came; the configured share is charged to the booker."""
    booking = _lock_booking(booking)
    if not booking.is_provider(user):
        raise NotAllowedError(_("Only the lab that owns the instrument can record a no-show."))
    if now < booking.starts_at:
        raise DomainError(_("A no-show can only be recorded once the booking has started."))
    fee = rules.charge_share(booking.price_fen, booking.instrument.no_show_bp)
    before = booking.snapshot()
    booking.mark_no_show(user, fee, now)
    _release_holds(booking, "no_show")
    booking_payments.settle_self_paid(db.session, booking, now=now, by=user)
    record_audit(user, "booking.no_show", booking, before=before, after=booking.snapshot())
    _notify_booking(booking, "no_show")
    return booking


def complete_booking(booking: Booking, user, actual_minutes: int, note: str,
                     invoice_number: str | None, now: datetime) -> Booking:
    """The provider records the actual use. The charge follows the actual time (never above
    the quoted price); vouchers pay their share of it from the holds, the rest is owed."""
    booking = _lock_booking(booking)
    if not booking.is_provider(user):
        raise NotAllowedError(_("Only the lab that owns the instrument can record usage."))
    if now < booking.starts_at:
        raise DomainError(_("Usage can only be recorded once the booking has started."))
    if not isinstance(actual_minutes, int) or actual_minutes <= 0:
        raise DomainError(_("Enter the minutes actually used (more than 0)."), "actual_minutes")
    if actual_minutes > booking.minutes * 2:
        raise DomainError(_("That is far more than the %(n)d minutes booked; check the figure.",
                            n=booking.minutes), "actual_minutes")
    charged = min(rules.price_fen(booking.rate_fen, actual_minutes), booking.price_fen)
    before = booking.snapshot()
    booking._require(BookingStatus.APPROVED)  # before the holds move, so a refusal says why
    voucher_paid = _post_holds(booking, charged) if booking.holds else 0
    booking.complete(user, actual_minutes, charged, voucher_paid, (note or "").strip(),
                     (invoice_number or "").strip() or None, now)
    booking_payments.settle_self_paid(db.session, booking, now=now, by=user)
    record_audit(user, "booking.complete", booking, before=before, after=booking.snapshot(),
                 note=note)
    _notify_booking(booking, "completed")
    return booking


def record_self_paid_received(booking: Booking, user, now: datetime) -> Booking:
    """The provider confirms the booker paid its own share (by invoice, outside the platform)."""
    booking = _lock_booking(booking)
    if not booking.is_provider(user):
        raise NotAllowedError(_("Only the lab that owns the instrument can record payments."))
    if booking.self_paid_fen <= 0 or booking.status not in (
            BookingStatus.COMPLETED, BookingStatus.SETTLED, BookingStatus.NO_SHOW,
            BookingStatus.CANCELLED):
        raise DomainError(_("Nothing is owed on this booking."))
    if booking.self_paid_received_at is None:
        booking.self_paid_received_at = now
        record_audit(user, "booking.self_paid_received", booking,
                     after={"self_paid_fen": booking.self_paid_fen})
    return booking


def expire_unanswered(now: datetime) -> int:
    """Requests the provider left unanswered until their start are rejected and their holds
    released (idempotent)."""
    begin_write(db.session)
    ids = list(db.session.scalars(sa.select(Booking.id).where(
        Booking.status == BookingStatus.REQUESTED, Booking.starts_at <= now).order_by(Booking.id)))
    for booking_id in ids:
        booking = lock(db.session, Booking, booking_id)
        if booking.status != BookingStatus.REQUESTED:
            continue
        before = booking.snapshot()
        booking.status = BookingStatus.REJECTED
        booking.decided_at, booking.charged_fen = now, 0
        booking.rejection_reason = _("The lab did not answer before the booking was due to start.")
        _release_holds(booking, "expire")
        campaign_hours.return_pledged_hours(db.session, booking, now)
        booking_payments.settle_self_paid(db.session, booking, now=now)
        record_audit(None, "booking.expire", booking, before=before, after=booking.snapshot())
        _notify_booking(booking, "rejected")
    return len(ids)


def send_reminders(now: datetime, ahead: timedelta = timedelta(hours=24)) -> int:
    """Remind bookers of confirmed bookings starting within ``ahead`` (once per booking)."""
    begin_write(db.session)
    due = list(db.session.scalars(sa.select(Booking).where(
        Booking.status == BookingStatus.APPROVED, Booking.reminded_at.is_(None),
        Booking.starts_at > now, Booking.starts_at <= now + ahead).order_by(Booking.id)))
    for booking in due:
        booking.reminded_at = now
        _notify_booking(booking, "reminder")
    return len(due)


# ---------------------------------------------------------------------------------------------
# training
def is_qualified(instrument, user) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Qualification).where(
        Qualification.instrument_id == instrument.id, Qualification.user_id == user.id)) > 0


def grant_qualification(instrument, email: str, by, note: str | None = None) -> Qualification:
    """The provider records that the user with this e-mail has been trained."""
    if not instrument.organization.is_member(by):
        raise NotAllowedError(_("Only the lab that owns the instrument can record training."))
    user = db.session.scalars(sa.select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        raise NotFoundError(_("No account uses the e-mail address %(email)s.", email=email), "email")
    existing = db.session.scalars(sa.select(Qualification).where(
        Qualification.instrument_id == instrument.id, Qualification.user_id == user.id)).first()
    if existing is not None:
        return existing
    qualification = Qualification(instrument_id=instrument.id, user_id=user.id,
                                  granted_by_id=by.id, note=(note or "").strip() or None)
    db.session.add(qualification)
    db.session.flush()
    record_audit(by, "qualification.grant", qualification,
                 after={"instrument_id": instrument.id, "user_id": user.id})
    return qualification


def revoke_qualification(qualification: Qualification, by) -> None:
    if not qualification.instrument.organization.is_member(by):
        raise NotAllowedError(_("Only the lab that owns the instrument can revoke training."))
    record_audit(by, "qualification.revoke", qualification,
                 before={"instrument_id": qualification.instrument_id,
                         "user_id": qualification.user_id})
    db.session.delete(qualification)


def calendar_token(user) -> str:
    """The secret of the user's calendar feed address, made on first use."""
    if not user.calendar_token:
        user.calendar_token = secrets.token_urlsafe(24)
    return user.calendar_token


# ---------------------------------------------------------------------------------------------
# money steps (inside the caller's transaction)
def _lock_booking(booking: Booking) -> Booking:
    locked = lock(db.session, Booking, booking.id)
    if locked is None:
        raise NotFoundError(_("No such booking."))
    return locked


def _lock_hold_accounts(booking: Booking) -> dict[int, Quota]:
    """Quotas (sorted), then every account the holds' resolution may touch, all at once."""
    quotas = {}
    for quota_id in sorted({hold.quota_id for hold in booking.holds}):
        quotas[quota_id] = lock(db.session, Quota, quota_id)
    codes = []
    for hold in booking.holds:
        quota = quotas[hold.quota_id]
        codes += [accounts.voucher(quota.organization_id, quota.id, hold.layer_id),
                  accounts.receivable(booking.instrument.organization_id, quota.programme_id,
                                      hold.layer_id),
                  accounts.budget(hold.layer_id, quota.programme_id)]
    lock_accounts(db.session, codes)
    return quotas


def _release_holds(booking: Booking, why: str) -> None:
    if not booking.holds:
        return
    quotas = _lock_hold_accounts(booking)
    for hold in booking.holds:
        if hold.transfer.status != HoldStatus.PENDING:
            continue
        ledger.void(db.session, f"booking:{booking.id}:hold:{hold.id}:void", hold.transfer_id,
                    memo=f"booking #{booking.id}: {why}")
        vouchers.return_released(quotas[hold.quota_id], hold.layer_id, hold.amount_fen,
                                 key=f"booking:{booking.id}:hold:{hold.id}:return")


def _post_holds(booking: Booking, charged_fen: int) -> int:
    """Post each hold for the vouchers' share of the actual charge; returns the total posted."""
    quotas = _lock_hold_accounts(booking)
    programme = booking.programme
    entitled = dict(zip([layer.id for layer in programme.layers],
                        vouchers.voucher_entitlement(programme, charged_fen), strict=True))
    posted_total = 0
    for hold in sorted(booking.holds, key=lambda h: (quotas[h.quota_id].expires_at, h.id)):
        take = min(hold.amount_fen, entitled.get(hold.layer_id, 0))
        entitled[hold.layer_id] = entitled.get(hold.layer_id, 0) - take
        if take > 0:
            ledger.post(db.session, f"booking:{booking.id}:hold:{hold.id}:post", hold.transfer_id,
                        amount=take, memo=f"booking #{booking.id}: used")
            posted_total += take
        else:
            ledger.void(db.session, f"booking:{booking.id}:hold:{hold.id}:void", hold.transfer_id,
                        memo=f"booking #{booking.id}: not needed")
        vouchers.return_released(quotas[hold.quota_id], hold.layer_id, hold.amount_fen - take,
                                 key=f"booking:{booking.id}:hold:{hold.id}:return")
    return posted_total


def is_overlap_error(error: sa.exc.IntegrityError) -> bool:
    """The database's no-double-booking guard refused the write (PostgreSQL 23P01 or the
    SQLite trigger)."""
    orig = error.orig
    return getattr(orig, "sqlstate", None) == "23P01" or "booking_overlap" in str(orig)


def _by_request_key(key: str) -> Booking | None:
    return db.session.scalars(sa.select(Booking).where(Booking.request_key == key)).first()


def _replay(existing: Booking, user) -> Booking:
    if existing.booked_by_id != user.id:
        raise ConflictError(_("This booking form was already used. Please reload the page."))
    return existing


def _clock(dt: datetime) -> str:
    return rules.local(dt).strftime("%m-%d %H:%M")


# ---------------------------------------------------------------------------------------------
# mail
MAIL_SUBJECTS = {
    "created": lambda b: (_("Booking request received: %(title)s", title=b.instrument.title_for("zh"))
                          if b.status == BookingStatus.REQUESTED else
                          _("Booking confirmed: %(title)s", title=b.instrument.title_for("zh"))),
    "approved": lambda b: _("Booking confirmed: %(title)s", title=b.instrument.title_for("zh")),
    "rejected": lambda b: _("Booking rejected: %(title)s", title=b.instrument.title_for("zh")),
    "cancelled": lambda b: _("Booking cancelled: %(title)s", title=b.instrument.title_for("zh")),
    "reminder": lambda b: _("Reminder: your booking of %(title)s starts soon",
                            title=b.instrument.title_for("zh")),
    "completed": lambda b: _("Usage recorded: %(title)s", title=b.instrument.title_for("zh")),
    "no_show": lambda b: _("No-show recorded: %(title)s", title=b.instrument.title_for("zh")),
}


def _mail_body(booking: Booking, event: str, link: str) -> str:
    when = f"{rules.local(booking.starts_at):%Y-%m-%d %H:%M}–{rules.local(booking.ends_at):%H:%M}"
    lines = [
        _("Instrument: %(title)s (%(provider)s)", title=booking.instrument.title_for("zh"),
          provider=booking.instrument.organization.name_zh),
        _("Time: %(when)s (Beijing time)", when=when),
        _("Booked by: %(org)s", org=booking.organization.name_zh),
        _("Status: %(status)s", status=booking.status.label),
        _("Price: %(price)s, of which vouchers hold %(voucher)s", price=format_fen(booking.price_fen),
          voucher=format_fen(booking.voucher_held_fen)),
    ]
    if event == "rejected" and booking.rejection_reason:
        lines.append(_("Reason: %(reason)s", reason=booking.rejection_reason))
    if booking.charged_fen is not None and event in ("completed", "cancelled", "no_show"):
        lines.append(_("Charged: %(charged)s (vouchers %(voucher)s, your own share %(own)s)",
                       charged=format_fen(booking.charged_fen),
                       voucher=format_fen(booking.voucher_paid_fen),
                       own=format_fen(booking.self_paid_fen)))
    lines.append(link)
    return "\n".join(lines)


def _notify_booking(booking: Booking, event: str) -> None:
    """The booker hears of every step; the lab's members of new requests and cancellations."""
    recipients = [booking.booked_by] if booking.booked_by else []
    if event in ("created", "cancelled"):  # the lab's members, in one statement
        recipients += db.session.scalars(
            sa.select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id == booking.instrument.organization_id)
            .order_by(Membership.id))
    link = external_url("bookings.show", booking_id=booking.id)
    seen = set()
    for user in recipients:
        if user is None or user.id in seen or not user.is_active:
            continue
        seen.add(user.id)
        with force_locale(user.locale or "zh_CN"):
            send_mail(user.email, MAIL_SUBJECTS[event](booking), _mail_body(booking, event, link))
