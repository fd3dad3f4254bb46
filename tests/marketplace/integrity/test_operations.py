"""Clear, case, freeze, claw-back, credit note and response: rules, audit, ledger."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.checks import ALL_CHECKS
from marketplace.errors import DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.integrity import detectors
from marketplace.integrity import operations as ops
from marketplace.integrity.models import NO_USAGE, Signal
from marketplace.ledger.models import LedgerTransfer, TransferKind
from marketplace.ledger.queries import verify
from tests.factories import make_user
from tests.marketplace.bookings.helpers import local
from tests.marketplace.integrity.helpers import book, completed, make_world


def actions():
    return [a for (a,) in db.session.execute(
        sa.select(AuditEntry.action).where(AuditEntry.action.like("integrity.%"))
        .order_by(AuditEntry.id))]


def no_usage_signal(world):
    completed(world, days_back=2, note="")
    detectors.scan(db.session, utcnow())
    db.session.commit()
    return db.session.scalars(sa.select(Signal).where(Signal.kind == NO_USAGE)).one()


def test_clear_needs_a_note_and_an_officer(db):
    world = make_world()
    signal = no_usage_signal(world)
    with pytest.raises(NotAllowedError):
        ops.clear_signal(signal, world.sme_user, "x", utcnow())
    with pytest.raises(DomainError, match="Say why"):
        ops.clear_signal(signal, world.officer, "  ", utcnow())
    ops.clear_signal(signal, world.officer, "已核实", utcnow())
    db.session.commit()
    assert signal.status == "cleared" and signal.cleared_by_id == world.officer.id
    with pytest.raises(InvalidStateError):
        ops.clear_signal(signal, world.officer, "again", utcnow())
    assert actions() == ["integrity.signal.clear"]


def test_case_freeze_blocks_vouchers_and_unfreeze_restores(db):
    world = make_world()
    signal = no_usage_signal(world)
    case = ops.open_case(world.officer, world.sme, "核查使用记录", utcnow(), signal=signal)
    ops.freeze(case, world.officer, "调查期间冻结", utcnow())
    ops.freeze(case, world.officer, "twice is a no-op", utcnow())
    db.session.commit()
    assert signal.status == "in_case" and signal.case_id == case.id
    with pytest.raises(DomainError, match="frozen the voucher use"):
        book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.rollback()
    book(world, local(1, "09:00"), local(1, "10:00"), programme=None)  # paying itself is fine
    db.session.commit()
    assert ops.unfreeze(case, world.officer, utcnow()) == 1
    db.session.commit()
    book(world, local(2, "09:00"), local(2, "10:00"))
    db.session.commit()
    assert actions() == ["integrity.case.open", "integrity.signal.to_case", "integrity.freeze",
                         "integrity.unfreeze"]


def test_freeze_of_a_provider_stops_vouchers_paying_it(db):
    world = make_world()
    case = ops.open_case(world.officer, world.lab, "集中度过高", utcnow())
    ops.freeze(case, world.officer, "调查", utcnow())
    db.session.commit()
    with pytest.raises(DomainError, match="frozen voucher payments to"):
        book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.rollback()


def test_claw_back_reverses_once_and_the_ledger_verifies(db):
    world = make_world()
    booking = completed(world, days_back=2)
    case = ops.open_case(world.officer, world.lab, "虚报使用", utcnow())
    db.session.commit()
    candidates = ops.clawback_candidates(case)
    assert len(candidates) == 2  # one post per funding layer
    candidate = candidates[0]
    assert candidate.kind in (TransferKind.POST, TransferKind.SINGLE)
    posts = list(db.session.scalars(sa.select(LedgerTransfer).where(
        LedgerTransfer.kind == TransferKind.POST)))
    assert candidate.id in {p.id for p in posts}
    first = ops.claw_back(case, world.officer, candidate.id, "使用未发生", utcnow())
    db.session.commit()
    again = ops.claw_back(case, world.officer, candidate.id, "使用未发生", utcnow())
    db.session.commit()
    assert again.id == first.id
    reversal = db.session.get(LedgerTransfer, first.reversal_transfer_id)
    assert reversal.kind == TransferKind.REVERSAL and reversal.reverses_id == candidate.id
    assert reversal.amount == candidate.amount
    assert candidate.id not in {t.id for t in ops.clawback_candidates(case)}
    assert verify(db.session, ALL_CHECKS).ok
    assert actions().count("integrity.clawback") == 1
    assert booking.voucher_paid_fen > 0


def test_claw_back_refuses_other_organisations_transfers_and_holds(db):
    world = make_world()
    completed(world, days_back=2)
    other = make_world()
    case = ops.open_case(world.officer, other.lab, "x", utcnow())
    db.session.commit()
    post = db.session.scalars(sa.select(LedgerTransfer).where(
        LedgerTransfer.kind == TransferKind.POST)).first()
    with pytest.raises(DomainError, match="is not a transfer of"):
        ops.claw_back(case, world.officer, post.id, "x", utcnow())
    db.session.rollback()
    lab_case = ops.open_case(world.officer, world.lab, "y", utcnow())
    hold = db.session.scalars(sa.select(LedgerTransfer).where(
        LedgerTransfer.kind == TransferKind.PENDING)).first()
    with pytest.raises(DomainError, match="hold"):
        ops.claw_back(lab_case, world.officer, hold.id, "x", utcnow())
    db.session.rollback()


def test_credit_note_and_one_response(db):
    world = make_world()
    case = ops.open_case(world.officer, world.sme, "关联交易", utcnow())
    note = ops.add_credit_note(case, world.officer, "曾尝试向关联方支付创新券", utcnow())
    db.session.commit()
    with pytest.raises(NotAllowedError):
        ops.respond_to_note(note, make_user(), "不是我们", utcnow())
    with pytest.raises(DomainError, match="Write your response"):
        ops.respond_to_note(note, world.sme_user, " ", utcnow())
    ops.respond_to_note(note, world.sme_user, "已整改", utcnow())
    db.session.commit()
    with pytest.raises(InvalidStateError, match="one response"):
        ops.respond_to_note(note, world.sme_user, "again", utcnow())
    assert note.response_text == "已整改"
    ops.close_case(case, world.officer, "已整改", utcnow())
    db.session.commit()
    with pytest.raises(InvalidStateError):
        ops.add_credit_note(case, world.officer, "closed", utcnow())
    assert "integrity.credit_note.respond" in actions()
