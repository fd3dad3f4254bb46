"""Review-queue operations: clear a signal, open a case, freeze and unfreeze an organisation's
voucher use, claw back a ledger transfer, put a note on an organisation's credit record and let
the organisation respond once.

Each takes the acting user, checks who may act, locks what it changes, writes an audit entry in
the same transaction and never commits (the view does). A claw-back is a reversing transfer
through ``marketplace.ledger.operations.reverse`` under a key derived from the case and the
transfer, so a repeated request moves nothing the second time.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.audit import record_audit
from marketplace.errors import DomainError, InvalidStateError, NotAllowedError, NotFoundError
from marketplace.extensions import db
from marketplace.integrity.models import (
    CASE_CLOSED,
    CASE_OPEN,
    CLEARED,
    IN_CASE,
    OPEN,
    Case,
    Clawback,
    CreditNote,
    Signal,
    VoucherFreeze,
)
from marketplace.ledger import errors as ledger_errors
from marketplace.ledger import operations as ledger
from marketplace.ledger.models import LedgerAccount, LedgerEntry, LedgerTransfer, TransferKind
from marketplace.organizations.models import Organization
from marketplace.transactions import begin_write, lock

MAX_TEXT = 2000


def _require_officer(user) -> None:
    if not (user and user.is_officer):
        raise NotAllowedError(_("Only programme officers can do this."))


def _text(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field)
    if len(value) > MAX_TEXT:
        raise DomainError(_("At most %(n)d characters, please.", n=MAX_TEXT), field)
    return value


# ---------------------------------------------------------------------------------------------
# signals
def clear_signal(signal: Signal, officer, note: str, now: datetime) -> Signal:
    """Nothing wrong after all: the signal leaves the queue, with the officer's reason."""
    _require_officer(officer)
    note = _text(note, "note", _("Say why the signal is cleared."))
    signal = lock(db.session, Signal, signal.id)
    if signal.status != OPEN:
        raise InvalidStateError(_("This signal has already been dealt with."))
    before = signal.snapshot()
    signal.status, signal.note = CLEARED, note
    signal.cleared_by_id, signal.cleared_at, signal.updated_at = officer.id, now, now
    record_audit(officer, "integrity.signal.clear", signal, before=before,
                 after=signal.snapshot(), note=note)
    return signal


def open_case(officer, organization: Organization, summary: str, now: datetime,
              signal: Signal | None = None) -> Case:
    """Open a case on an organisation (from a signal, which then moves into the case). An open
    case of the organisation is reused: the signal joins it."""
    _require_officer(officer)
    summary = _text(summary, "summary", _("Describe what the case is about."))
    begin_write(db.session)
    organization = lock(db.session, Organization, organization.id)
    if signal is not None:
        signal = lock(db.session, Signal, signal.id)
        if signal.status != OPEN:
            raise InvalidStateError(_("This signal has already been dealt with."))
        if signal.organization_id is not None and organization.id not in (
                [signal.organization_id, *(signal.organization_ids or [])]):
            raise DomainError(_("This signal does not concern %(org)s.",
                                org=organization.name_zh), "organization_id")
    case = db.session.scalars(sa.select(Case).where(
        Case.organization_id == organization.id, Case.status == CASE_OPEN)
        .order_by(Case.id)).first()
    if case is None:
        case = Case(organization_id=organization.id, status=CASE_OPEN, summary=summary,
                    opened_by_id=officer.id, opened_at=now)
        db.session.add(case)
        db.session.flush()
        record_audit(officer, "integrity.case.open", case, after=case.snapshot(), note=summary)
    if signal is not None:
        before = signal.snapshot()
        signal.status, signal.case_id, signal.updated_at = IN_CASE, case.id, now
        record_audit(officer, "integrity.signal.to_case", signal, before=before,
                     after=signal.snapshot())
    return case


def close_case(case: Case, officer, note: str, now: datetime) -> Case:
    """Close a case; a freeze it set is lifted with it."""
    _require_officer(officer)
    note = _text(note, "note", _("Say how the case ends."))
    case = lock(db.session, Case, case.id)
    if not case.is_open:
        raise InvalidStateError(_("This case is already closed."))
    unfreeze(case, officer, now, _reason=note)
    before = case.snapshot()
    case.status, case.closed_by_id, case.closed_at, case.closing_note = (
        CASE_CLOSED, officer.id, now, note)
    record_audit(officer, "integrity.case.close", case, before=before, after=case.snapshot(),
                 note=note)
    return case


def _require_open_case(case: Case) -> Case:
    case = lock(db.session, Case, case.id)
    if not case.is_open:
        raise InvalidStateError(_("This case is closed."))
    return case


# ---------------------------------------------------------------------------------------------
# freeze
def _open_freezes(organization_id: int) -> list[VoucherFreeze]:
    return list(db.session.scalars(sa.select(VoucherFreeze).where(
        VoucherFreeze.organization_id == organization_id, VoucherFreeze.lifted_at.is_(None))))


def freeze(case: Case, officer, reason: str, now: datetime) -> VoucherFreeze:
    """Stop the case's organisation using (or being paid) vouchers; frozen again is a no-op."""
    _require_officer(officer)
    reason = _text(reason, "reason", _("Say why the organisation's voucher use is frozen."))
    case = _require_open_case(case)
    lock(db.session, Organization, case.organization_id)
    existing = _open_freezes(case.organization_id)
    if existing:
        return existing[0]
    entry = VoucherFreeze(organization_id=case.organization_id, case_id=case.id, reason=reason,
                          frozen_by_id=officer.id, frozen_at=now)
    db.session.add(entry)
    db.session.flush()
    record_audit(officer, "integrity.freeze", case.organization, after=entry.snapshot(),
                 note=reason)
    return entry


def unfreeze(case: Case, officer, now: datetime, _reason: str | None = None) -> int:
    """Lift the organisation's freeze (returns how many were lifted: 0 if none)."""
    _require_officer(officer)
    lock(db.session, Organization, case.organization_id)
    lifted = 0
    for entry in _open_freezes(case.organization_id):
        entry.lifted_by_id, entry.lifted_at = officer.id, now
        record_audit(officer, "integrity.unfreeze", case.organization, after=entry.snapshot(),
                     note=_reason)
        lifted += 1
    return lifted


# ---------------------------------------------------------------------------------------------
# claw-back
def clawback_candidates(case: Case, limit: int = 50) -> list[LedgerTransfer]:
    """Transfers that moved money into or out of the organisation's accounts and can still be
    reversed (single or post transfers, not reversed yet), newest first."""
    reversed_ids = sa.select(LedgerTransfer.reverses_id).where(
        LedgerTransfer.reverses_id.is_not(None))
    return list(db.session.scalars(
        sa.select(LedgerTransfer)
        .where(LedgerTransfer.id.in_(_organization_transfer_ids(case.organization_id)),
               LedgerTransfer.kind.in_([TransferKind.SINGLE, TransferKind.POST]),
               LedgerTransfer.id.not_in(reversed_ids))
        .order_by(LedgerTransfer.id.desc()).limit(limit)))


def _organization_transfer_ids(organization_id: int):
    prefixes = (f"provider:{organization_id}:%", f"enterprise:{organization_id}:%")
    return (sa.select(LedgerEntry.transfer_id)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(sa.or_(*(LedgerAccount.code.like(p) for p in prefixes))))


def clawback_key(case: Case, transfer_id: int) -> str:
    return f"integrity:case:{case.id}:clawback:{transfer_id}"


def claw_back(case: Case, officer, transfer_id: int, reason: str, now: datetime) -> Clawback:
    """Reverse one of the organisation's transfers (a new transfer with the opposite entries).
    The same request again returns the first claw-back and moves nothing."""
    _require_officer(officer)
    reason = _text(reason, "reason", _("Say why the transfer is clawed back."))
    case = _require_open_case(case)
    done = db.session.scalars(sa.select(Clawback).where(
        Clawback.original_transfer_id == transfer_id)).one_or_none()
    if done is not None:
        if done.case_id == case.id:
            return done
        raise InvalidStateError(_("Transfer #%(id)d was already clawed back in case #%(case)d.",
                                  id=transfer_id, case=done.case_id))
    original = db.session.get(LedgerTransfer, transfer_id)
    if original is None or transfer_id not in set(db.session.scalars(
            _organization_transfer_ids(case.organization_id).where(
                LedgerEntry.transfer_id == transfer_id))):
        raise NotFoundError(_("Transfer #%(id)d is not a transfer of %(org)s.", id=transfer_id,
                              org=case.organization.name_zh), "transfer_id")
    key = clawback_key(case, transfer_id)
    memo = f"claw-back, integrity case #{case.id}"
    try:
        result = ledger.reverse(db.session, key, original, memo)
    except ledger_errors.AlreadyReversedError:
        raise InvalidStateError(_("Transfer #%(id)d has already been reversed.",
                                  id=transfer_id), "transfer_id") from None
    except ledger_errors.NotReversibleError:
        raise DomainError(_("Transfer #%(id)d is a hold or its release; only money that moved "
                            "can be clawed back (cancel the booking to release a hold).",
                            id=transfer_id), "transfer_id") from None
    except ledger_errors.InsufficientFundsError:
        raise DomainError(_("The money of transfer #%(id)d has moved on (e.g. it was reimbursed "
                            "already), so it cannot be reversed here.", id=transfer_id),
                          "transfer_id") from None
    clawback = Clawback(case_id=case.id, original_transfer_id=original.id,
                        reversal_transfer_id=result.transfer.id, idempotency_key=key,
                        amount_fen=original.amount, reason=reason, created_by_id=officer.id,
                        created_at=now)
    db.session.add(clawback)
    db.session.flush()
    record_audit(officer, "integrity.clawback", clawback, after=clawback.snapshot(), note=reason)
    return clawback


# ---------------------------------------------------------------------------------------------
# credit record
def add_credit_note(case: Case, officer, text: str, now: datetime) -> CreditNote:
    _require_officer(officer)
    text = _text(text, "text", _("Write the note."))
    case = _require_open_case(case)
    note = CreditNote(organization_id=case.organization_id, case_id=case.id, text=text,
                      officer_id=officer.id, created_at=now)
    db.session.add(note)
    db.session.flush()
    record_audit(officer, "integrity.credit_note.add", note, after=note.snapshot())
    return note


def respond_to_note(note: CreditNote, user, text: str, now: datetime) -> CreditNote:
    """The organisation's one response to a note on its credit record."""
    if not note.organization.is_member(user):
        raise NotAllowedError(_("Only members of %(org)s can respond to its credit record.",
                                org=note.organization.name_zh))
    text = _text(text, "text", _("Write your response."))
    note = lock(db.session, CreditNote, note.id)
    if note.has_response:
        raise InvalidStateError(_("This note has already been answered; a note takes one "
                                  "response."))
    note.response_text, note.response_by_id, note.response_at = text, user.id, now
    record_audit(user, "integrity.credit_note.respond", note, after=note.snapshot())
    return note


def notes_for(organization: Organization) -> list[CreditNote]:
    return list(db.session.scalars(sa.select(CreditNote).where(
        CreditNote.organization_id == organization.id).order_by(CreditNote.id)))


def list_signals(*, status: str | None = OPEN, kind: str | None = None,
                 organization_id: int | None = None, limit: int = 200) -> list[Signal]:
    query = sa.select(Signal)
    if status:
        query = query.where(Signal.status == status)
    if kind:
        query = query.where(Signal.kind == kind)
    if organization_id:
        query = query.where(Signal.organization_id == organization_id)
    return list(db.session.scalars(query.order_by(Signal.detected_at.desc(), Signal.id.desc())
                                   .limit(limit)))
