"""L1: the ledger's rules, one test per rejection code, and the happy paths."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from marketplace.errors import ConflictError, DomainError
from marketplace.ledger import operations as ops
from marketplace.ledger import queries
from marketplace.ledger.errors import ALL_CODES, REJECTIONS, LedgerError
from marketplace.ledger.models import (
    Asset,
    HoldStatus,
    LedgerAccount,
    LedgerEntry,
    TransferKind,
)
from tests.marketplace.ledger.helpers import counters, snapshot

SEEN: set[str] = set()


def refused(session, code: str, call) -> LedgerError:
    """Run ``call``; it must raise the ledger error ``code`` and leave the ledger unchanged."""
    before = snapshot(session)
    with pytest.raises(LedgerError) as info:
        call()
    assert info.value.code == code, info.value.message
    assert snapshot(session) == before
    session.commit()  # nothing half-written waits in the transaction either
    assert snapshot(session) == before
    SEEN.add(code)
    return info.value


def fund(session, chart, amount=1000, key="fund"):
    result = ops.transfer(session, key, [(chart.budget, -amount), (chart.voucher, amount)],
                          "issue vouchers")
    session.commit()
    return result.transfer


def book(session, chart, amount=600, key="hold"):
    result = ops.hold(session, key, chart.voucher, chart.receivable, amount, "booking",
                      reference=("booking", 12))
    session.commit()
    return result.transfer


# ---------------------------------------------------------------------------------------------
# rejections, one case per code (each may try several spellings of the same mistake)
def case_zero_or_negative_amount(session, chart):
    fund(session, chart)
    held = book(session, chart, 100)
    for call in (
        lambda: ops.transfer(session, "t0", [(chart.budget, 0), (chart.voucher, 0)], "m"),
        lambda: ops.hold(session, "h0", chart.voucher, chart.receivable, 0, "m"),
        lambda: ops.hold(session, "h-1", chart.voucher, chart.receivable, -5, "m"),
        lambda: ops.post(session, "p0", held, amount=0),
        lambda: ops.post(session, "p-1", held, amount=-1),
    ):
        refused(session, "zero_or_negative_amount", call)


def case_same_account(session, chart):
    fund(session, chart)
    refused(session, "same_account",
            lambda: ops.hold(session, "h", chart.voucher, chart.voucher, 10, "m"))
    refused(session, "same_account", lambda: ops.transfer(
        session, "t", [(chart.voucher, -10), (chart.voucher, 5), (chart.receivable.code, 5)], "m"))


def case_unknown_account(session, chart):
    fund(session, chart)
    refused(session, "unknown_account",
            lambda: ops.hold(session, "h", chart.voucher, "provider:404:receivable", 10, "m"))
    refused(session, "unknown_account", lambda: ops.transfer(
        session, "t", [("programme:404:budget", -10), (chart.voucher, 10)], "m"))


def case_mixed_assets(session, chart):
    refused(session, "mixed_assets", lambda: ops.transfer(
        session, "t", [(chart.budget, -10), (chart.escrow, 10)], "m"))
    fund(session, chart)
    refused(session, "mixed_assets",
            lambda: ops.hold(session, "h", chart.voucher, chart.escrow, 10, "m"))


def case_unbalanced(session, chart):
    refused(session, "unbalanced", lambda: ops.transfer(
        session, "t1", [(chart.budget, -10), (chart.voucher, 9)], "m"))
    refused(session, "unbalanced", lambda: ops.transfer(session, "t2", [(chart.voucher, 10)], "m"))
    refused(session, "unbalanced", lambda: ops.transfer(session, "t3", [], "m"))


def case_insufficient_funds(session, chart):
    refused(session, "insufficient_funds", lambda: ops.transfer(
        session, "t0", [(chart.voucher, -1), (chart.receivable, 1)], "m"))
    fund(session, chart, 1000)
    book(session, chart, 600)  # 400 left available: the hold counts
    refused(session, "insufficient_funds",
            lambda: ops.hold(session, "h2", chart.voucher, chart.receivable, 401, "m"))
    refused(session, "insufficient_funds", lambda: ops.transfer(
        session, "t1", [(chart.voucher, -401), (chart.receivable, 401)], "m"))
    ops.hold(session, "h3", chart.voucher, chart.receivable, 400, "m")  # exactly what is left
    session.commit()
    assert queries.available(session, chart.voucher) == 0


def case_post_exceeds_hold(session, chart):
    fund(session, chart)
    held = book(session, chart, 600)
    refused(session, "post_exceeds_hold", lambda: ops.post(session, "p", held, amount=601))


def case_hold_already_resolved(session, chart):
    fund(session, chart)
    posted = book(session, chart, 300, key="h1")
    ops.post(session, "p1", posted, amount=100)
    voided = book(session, chart, 300, key="h2")
    ops.void(session, "v2", voided)
    session.commit()
    for call in (lambda: ops.post(session, "p1-again", posted),
                 lambda: ops.void(session, "v1", posted),
                 lambda: ops.post(session, "p2", voided),
                 lambda: ops.void(session, "v2-again", voided)):
        refused(session, "hold_already_resolved", call)


def case_unknown_hold(session, chart):
    refused(session, "unknown_hold", lambda: ops.post(session, "p", 987654))
    refused(session, "unknown_hold", lambda: ops.void(session, "v", 987654))


def case_not_a_hold(session, chart):
    single = fund(session, chart)
    refused(session, "not_a_hold", lambda: ops.post(session, "p", single))
    refused(session, "not_a_hold", lambda: ops.void(session, "v", single.id))


def case_unknown_transfer(session, chart):
    refused(session, "unknown_transfer", lambda: ops.reverse(session, "r", 987654, "m"))


def case_not_reversible(session, chart):
    fund(session, chart)
    held = book(session, chart, 100, key="h1")
    voided = book(session, chart, 100, key="h2")
    void = ops.void(session, "v2", voided).transfer
    single = ops.transfer(session, "t", [(chart.voucher, -50), (chart.voucher2, 50)], "m").transfer
    reversal = ops.reverse(session, "r", single, "oops").transfer
    session.commit()
    for target in (held, voided, void, reversal):
        refused(session, "not_reversible",
                lambda target=target: ops.reverse(session, f"r{target.id}", target, "m"))


def case_already_reversed(session, chart):
    single = fund(session, chart)
    ops.reverse(session, "r1", single, "wrong programme")
    session.commit()
    refused(session, "already_reversed", lambda: ops.reverse(session, "r2", single, "again"))


def case_idempotency_conflict(session, chart):
    fund(session, chart, 1000, key="fund")
    held = book(session, chart, 100, key="hold")
    for call in (
        # the same key, another amount / account / memo / reference / operation
        lambda: ops.transfer(session, "fund", [(chart.budget, -999), (chart.voucher, 999)],
                             "issue vouchers"),
        lambda: ops.transfer(session, "fund", [(chart.budget, -1000), (chart.voucher2, 1000)],
                             "issue vouchers"),
        lambda: ops.transfer(session, "fund", [(chart.budget, -1000), (chart.voucher, 1000)],
                             "other memo"),
        lambda: ops.hold(session, "hold", chart.voucher, chart.receivable, 100, "booking",
                         reference=("booking", 13)),
        lambda: ops.void(session, "hold", held),
        # even a request that would itself be refused: the key answers first
        lambda: ops.hold(session, "hold", chart.voucher, chart.receivable, 0, "booking"),
    ):
        error = refused(session, "idempotency_conflict", call)
        assert isinstance(error, ConflictError) and error.status_code == 409


CASES = {name.removeprefix("case_"): func for name, func in globals().items()
         if name.startswith("case_")}


_L1_SECONDS = [0.0]  # the cases' time so far in this process


@pytest.mark.parametrize("code", ALL_CODES)
def test_rejection_code(session, chart, code, figures):
    started = time.perf_counter()
    assert code in CASES, f"no test case for rejection code {code}"
    CASES[code](session, chart)
    assert code in SEEN
    assert queries.verify(session).ok
    covered = len(SEEN & set(ALL_CODES))
    _L1_SECONDS[0] += time.perf_counter() - started
    figures["L1"] = (f"L1 ledger rejection codes: {covered}/{len(ALL_CODES)} covered "
                     f"[seed none (one case per code), elapsed {_L1_SECONDS[0]:.1f}s]")


def test_every_rejection_code_has_a_case_and_a_class(figures):
    assert set(CASES) == set(ALL_CODES)
    assert len(set(ALL_CODES)) == len(ALL_CODES) == len(REJECTIONS)
    assert all(issubclass(error, DomainError) for error in REJECTIONS)
    print(f"L1 ledger rejection codes: {len(set(CASES) & set(ALL_CODES))}/{len(ALL_CODES)} "
          "defined codes have a case")


# ---------------------------------------------------------------------------------------------
# happy paths
def test_transfer_moves_and_records_balanced_entries(session, chart):
    result = ops.transfer(session, "issue-1", [(chart.budget, -1000), (chart.voucher, 600),
                                               (chart.voucher2.code, 400)], "issue vouchers",
                          reference=("quota", 3))
    session.commit()
    moved = result.transfer
    assert not result.replayed
    assert (moved.kind, moved.asset, moved.amount, moved.status) == (
        TransferKind.SINGLE, Asset.VOUCHER, 1000, None)
    assert moved.reference == ("quota", "3")
    assert sorted(e.amount for e in moved.entries) == [-1000, 400, 600]
    assert not any(e.pending for e in moved.entries)
    assert counters(session, chart.budget) == (-1000, 0, 0)
    assert counters(session, chart.voucher) == (600, 0, 0)
    assert queries.balance(session, chart.voucher2) == 400
    assert queries.verify(session).ok


def test_hold_then_partial_post_releases_the_rest(session, chart):
    fund(session, chart, 1000)
    held = book(session, chart, 600)
    assert held.status == HoldStatus.PENDING
    assert counters(session, chart.voucher) == (1000, 600, 0)
    assert counters(session, chart.receivable) == (0, 0, 600)
    assert queries.available(session, chart.voucher) == 400

    result = ops.post(session, "complete-12", held, amount=450)
    session.commit()
    assert not result.replayed
    assert (result.transfer.kind, result.transfer.amount, result.transfer.pending_id) == (
        TransferKind.POST, 450, held.id)
    assert result.transfer.reference == ("booking", "12")  # inherited from the hold
    assert held.status == HoldStatus.POSTED
    assert counters(session, chart.voucher) == (550, 0, 0)
    assert counters(session, chart.receivable) == (450, 0, 0)
    assert queries.available(session, chart.voucher) == 550
    assert queries.verify(session).ok


def test_post_without_amount_posts_the_whole_hold(session, chart):
    fund(session, chart, 1000)
    held = book(session, chart, 600)
    assert ops.post(session, "complete", held.id).transfer.amount == 600
    session.commit()
    assert counters(session, chart.voucher) == (400, 0, 0)
    assert counters(session, chart.receivable) == (600, 0, 0)


def test_void_releases_the_hold_and_moves_nothing(session, chart):
    fund(session, chart, 1000)
    held = book(session, chart, 600)
    result = ops.void(session, "cancel-12", held, memo="booking cancelled")
    session.commit()
    assert (result.transfer.kind, result.transfer.amount, result.transfer.entries) == (
        TransferKind.VOID, 600, [])
    assert held.status == HoldStatus.VOIDED
    assert counters(session, chart.voucher) == (1000, 0, 0)
    assert counters(session, chart.receivable) == (0, 0, 0)
    assert queries.verify(session).ok


def test_reverse_restores_balances_with_opposite_entries(session, chart):
    issued = fund(session, chart, 1000)
    held = book(session, chart, 600)
    posted = ops.post(session, "complete", held, amount=500).transfer
    session.commit()

    undo_post = ops.reverse(session, "clawback-12", posted, "claw-back after review").transfer
    undo_issue = ops.reverse(session, "undo-issue", issued, "issued to the wrong programme")
    session.commit()
    assert undo_issue.transfer.reverses_id == issued.id
    assert sorted((e.account_id, e.amount) for e in undo_post.entries) == sorted(
        (e.account_id, -e.amount) for e in posted.entries)
    assert held.status == HoldStatus.POSTED  # the hold's history is kept
    for account in (chart.budget, chart.voucher, chart.receivable):
        assert counters(session, account) == (0, 0, 0)
    assert queries.verify(session).ok


def test_reverse_refuses_to_overdraw_the_account_it_takes_back_from(session, chart):
    issued = fund(session, chart, 1000)
    ops.transfer(session, "spend", [(chart.voucher, -700), (chart.receivable, 700)], "m")
    session.commit()
    refused(session, "insufficient_funds", lambda: ops.reverse(session, "undo", issued, "m"))


@pytest.mark.parametrize("operation", ["transfer", "hold", "post", "void", "reverse"])
def test_same_key_same_request_returns_the_first_transfer_and_moves_nothing(
        session, chart, operation):
    fund(session, chart, 1000)
    held = book(session, chart, 600)
    issued = ops.transfer(session, "issue-2", [(chart.budget, -50), (chart.voucher2, 50)],
                          "m").transfer
    call = {
        "transfer": lambda: ops.transfer(session, "t", [(chart.voucher, -100),
                                                        (chart.voucher2, 100)], "m"),
        "hold": lambda: ops.hold(session, "h", chart.voucher.code, chart.receivable, 100, "m",
                                 reference=("booking", 13)),
        "post": lambda: ops.post(session, "complete", held, amount=200),
        "void": lambda: ops.void(session, "cancel", held.id),
        "reverse": lambda: ops.reverse(session, "undo", issued.id, "m"),
    }[operation]
    first = call()
    assert not first.replayed
    session.commit()
    before = snapshot(session)
    for _ in range(2):
        again = call()
        assert again.replayed and again.transfer.id == first.transfer.id
        session.commit()
    assert snapshot(session) == before
    assert queries.verify(session).ok


def test_same_request_is_recognised_whatever_the_order_of_legs_and_references(session, chart):
    first = ops.transfer(session, "issue", [(chart.budget, -10), (chart.voucher, 7),
                                            (chart.voucher2, 3)], "m", reference=("quota", 3))
    again = ops.transfer(session, "issue", [(chart.voucher2.code, 3), (chart.voucher, 7),
                                            (chart.budget.code, -10)], "m",
                         reference=("quota", "3"))
    assert again.replayed and again.transfer.id == first.transfer.id


def test_replay_is_answered_even_after_the_state_moved_on(session, chart):
    fund(session, chart, 1000)
    held = book(session, chart, 600)
    first = ops.post(session, "complete", held, amount=100)
    session.commit()
    ops.transfer(session, "spend", [(chart.voucher, -900), (chart.receivable, 900)], "m")
    session.commit()
    # the hold is resolved and the voucher empty, but this is the same request: same answer
    again = ops.post(session, "complete", held, amount=100)
    assert again.replayed and again.transfer.id == first.transfer.id


def test_operations_never_commit(session, chart):
    fund(session, chart, 1000)
    held = book(session, chart, 600)
    before = snapshot(session)
    ops.transfer(session, "t", [(chart.voucher, -100), (chart.voucher2, 100)], "m")
    ops.post(session, "p", held, amount=300)
    ops.open_account(session, "provider:8:receivable", Asset.VOUCHER, "receivable")
    session.rollback()
    assert snapshot(session) == before


def test_open_account_is_get_or_create(session, chart):
    again = ops.open_account(session, chart.voucher.code, "VOUCHER", "voucher")
    assert again.id == chart.voucher.id
    with pytest.raises(ValueError, match="exists as"):
        ops.open_account(session, chart.voucher.code, Asset.CNY, "voucher")
    with pytest.raises(ValueError, match="may go negative"):
        ops.open_account(session, "enterprise:9:voucher", Asset.VOUCHER, "voucher",
                         allow_negative=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerAccount)) == 7


def test_programming_errors_are_not_business_rejections(session, chart):
    with pytest.raises(TypeError):
        ops.hold(session, "h", chart.voucher, chart.receivable, 10.5, "m")
    with pytest.raises(TypeError):
        ops.transfer(session, "t", [(chart.budget, -True), (chart.voucher, True)], "m")
    with pytest.raises(ValueError, match="idempotency key"):
        ops.transfer(session, "", [(chart.budget, -1), (chart.voucher, 1)], "m")


# ---------------------------------------------------------------------------------------------
# the race backstops: a twin request committed between our checks and our insert
def test_lost_race_on_the_key_is_answered_as_a_replay(session, chart, monkeypatch):
    first = fund(session, chart, 1000, key="fund")
    real = ops._replay
    calls = []

    def blind_until_the_insert_fails(session_, key, fingerprint):
        calls.append(key)
        return None if len(calls) <= 2 else real(session_, key, fingerprint)

    monkeypatch.setattr(ops, "_replay", blind_until_the_insert_fails)
    ops.open_account(session, "provider:8:receivable", Asset.VOUCHER, "receivable")  # kept
    again = ops.transfer(session, "fund", [(chart.budget, -1000), (chart.voucher, 1000)],
                         "issue vouchers")
    assert again.replayed and again.transfer.id == first.id and len(calls) == 3
    session.commit()
    assert counters(session, chart.voucher) == (1000, 0, 0)
    assert counters(session, "provider:8:receivable") == (0, 0, 0)  # the SAVEPOINT kept it
    assert queries.verify(session).ok


def test_lost_race_on_a_hold_is_answered_as_already_resolved(session, chart, monkeypatch):
    fund(session, chart, 1000)
    held = book(session, chart, 600)
    ops.void(session, "cancel", held)
    session.commit()
    monkeypatch.setattr(ops, "_lock_open_hold",
                        lambda session_, key, fp, hold_id: ops._lock_transfer(session_, hold_id))
    refused(session, "hold_already_resolved", lambda: ops.post(session, "complete", held))


def test_lost_race_on_a_reversal_is_answered_as_already_reversed(session, chart, monkeypatch):
    fund(session, chart, 1000)
    expired = ops.transfer(session, "expire", [(chart.voucher, -300), (chart.budget, 300)],
                           "quota expired").transfer
    ops.reverse(session, "undo-1", expired, "expired by mistake")  # the budget may go negative
    session.commit()
    real = ops._reversal_of
    calls = []

    def blind_once(session_, transfer_id):
        calls.append(transfer_id)
        return None if len(calls) == 1 else real(session_, transfer_id)

    monkeypatch.setattr(ops, "_reversal_of", blind_once)
    refused(session, "already_reversed", lambda: ops.reverse(session, "undo-2", expired, "m"))
    assert len(calls) == 2  # the check was blind; the UNIQUE constraint caught it


def test_entries_are_signed_and_pending_for_holds(session, chart):
    fund(session, chart, 1000)
    held = book(session, chart, 600)
    entries = session.execute(sa.select(LedgerEntry.account_id, LedgerEntry.amount,
                                        LedgerEntry.pending)
                              .where(LedgerEntry.transfer_id == held.id)
                              .order_by(LedgerEntry.amount)).all()
    assert [tuple(e) for e in entries] == [(chart.voucher.id, -600, True),
                                           (chart.receivable.id, 600, True)]
