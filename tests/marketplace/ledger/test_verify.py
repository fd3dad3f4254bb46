"""``queries.verify`` and ``flask ledger verify``: clean after real operations, and each kind of
corruption is reported as exactly the break it is."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.ledger import operations as ops
from marketplace.ledger import queries
from marketplace.ledger.models import LedgerTransfer
from marketplace.ledger.queries import Break

pytestmark = pytest.mark.ledger_breaks  # most tests here corrupt the ledger on purpose


@pytest.fixture
def history(session, chart):
    """Issue, book, complete, claw back, cancel, book again, reimburse; a CNY pledge."""
    ops.transfer(session, "issue", [(chart.budget, -5000), (chart.voucher, 3000),
                                    (chart.voucher2, 2000)], "issue vouchers")
    booking = ops.hold(session, "book-1", chart.voucher, chart.receivable, 1200, "booking",
                       reference=("booking", 1)).transfer
    completed = ops.post(session, "complete-1", booking, amount=1000).transfer
    ops.reverse(session, "clawback-1", completed, "claw-back")
    cancelled = ops.hold(session, "book-2", chart.voucher2, chart.receivable, 800, "booking",
                         reference=("booking", 2)).transfer
    ops.void(session, "cancel-2", cancelled)
    ops.hold(session, "book-3", chart.voucher2, chart.receivable, 500, "booking",
             reference=("booking", 3))
    booking = ops.hold(session, "book-4", chart.voucher, chart.receivable, 1000, "booking",
                       reference=("booking", 4)).transfer
    ops.post(session, "complete-4", booking)
    ops.transfer(session, "reimburse-1", [(chart.receivable, -600), (chart.reimbursed, 600)],
                 "reimbursement batch 1")
    ops.transfer(session, "pledge-1", [(chart.clearing, -8800), (chart.escrow, 8800)], "pledge")
    session.commit()


def _run_cli(app, *args):
    return app.test_cli_runner().invoke(args=["ledger", "verify", *args])


def test_verify_is_clean_after_a_sequence_of_operations(session, chart, history):
    report = queries.verify(session)
    assert report.ok, report.verdict()
    assert (report.transfers, report.accounts) == (11, 7)
    assert report.verdict() == "ledger verify: OK — 11 transfers, 7 accounts, 0 breaks"


def test_a_corrupted_cached_balance_is_exactly_one_break_and_the_cli_exits_1(
        app, session, chart, history):
    assert _run_cli(app).exit_code == 0
    session.execute(sa.text("UPDATE ledger_accounts SET posted_balance = posted_balance + 7 "
                            "WHERE code = 'provider:7:receivable'"))
    session.commit()

    report = queries.verify(session)
    assert report.breaks == [Break("posted_balance_mismatch", "account provider:7:receivable",
                                   "cached 407, entries 400")]
    result = _run_cli(app)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "ledger verify: FAILED — 11 transfers, 7 accounts, 1 break: posted_balance_mismatch "
        "account provider:7:receivable (cached 407, entries 400)")

    session.execute(sa.text("UPDATE ledger_accounts SET posted_balance = posted_balance - 7 "
                            "WHERE code = 'provider:7:receivable'"))
    session.commit()
    result = _run_cli(app)
    assert result.exit_code == 0
    assert result.output.strip() == "ledger verify: OK — 11 transfers, 7 accounts, 0 breaks"


def test_corrupted_pending_counters_are_reported(session, chart, history):
    session.execute(sa.text("UPDATE ledger_accounts SET pending_debits = 0, "
                            "pending_credits = 3 WHERE code = 'enterprise:6:voucher:programme:1'"))
    session.commit()
    assert queries.verify(session).breaks == [
        Break("pending_debits_mismatch", "account enterprise:6:voucher:programme:1",
              "cached 0, entries 500"),
        Break("pending_credits_mismatch", "account enterprise:6:voucher:programme:1",
              "cached 3, entries 0"),
    ]


def test_an_unbalanced_transfer_is_refused_at_commit_or_reported(session, chart, history):
    """PostgreSQL refuses it at commit (deferred constraint trigger); SQLite cannot defer a
    check across rows, and verify reports it."""
    transfer_id = session.scalar(sa.select(LedgerTransfer.id).where(
        LedgerTransfer.idempotency_key == "issue"))
    session.execute(sa.text("INSERT INTO ledger_entries (transfer_id, account_id, amount, pending) "
                            "VALUES (:t, :a, 1, :p)"),
                    {"t": transfer_id, "a": chart.reimbursed.id, "p": False})
    if session.get_bind().dialect.name == "postgresql":
        with pytest.raises(IntegrityError, match="does not sum to zero"):
            session.commit()
        session.rollback()
        assert queries.verify(session).ok
        return
    session.commit()
    assert {str(b) for b in queries.verify(session).breaks} == {
        f"unbalanced transfer #{transfer_id} (posted entries sum to 1)",
        "posted_balance_mismatch account provider:7:reimbursed (cached 600, entries 601)",
        f"transfer_shape transfer #{transfer_id} (single of 5000 has 4 entries crediting 5001)",
    }


def test_the_cli_lists_every_break_when_there_are_many(app, session, chart, history):
    session.execute(sa.text("UPDATE ledger_accounts SET posted_balance = posted_balance + 1, "
                            "pending_credits = pending_credits + 1"))
    session.commit()
    result = _run_cli(app)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("ledger verify: FAILED — 11 transfers, 7 accounts, 14 breaks: ")
    assert lines[0].endswith("; … 4 more")
    assert len(lines) == 1 + 14


def _ids(session):
    rows = session.execute(sa.select(LedgerTransfer.idempotency_key, LedgerTransfer.id)).all()
    return dict(rows)


ENTRY = ("INSERT INTO ledger_entries (transfer_id, account_id, amount, pending) "
         "VALUES ({transfer}, {account}, {amount}, {pending})")
TRANSFER = ("INSERT INTO ledger_transfers (idempotency_key, fingerprint, kind, status, pending_id, "
            "reverses_id, asset, amount, memo, created_at) VALUES ('{key}', 'x', '{kind}', NULL, "
            "{pending_id}, NULL, 'VOUCHER', {amount}, '', CURRENT_TIMESTAMP)")


@pytest.mark.parametrize(("check", "statements"), [
    ("mixed_assets", [ENTRY.format(transfer="{issue}", account="{escrow}", amount=5, pending="{f}"),
                      ENTRY.format(transfer="{issue}", account="{clearing}", amount=-5,
                                   pending="{f}")]),
    ("pending_flag", [ENTRY.format(transfer="{pledge-1}", account="{budget}", amount=-5,
                                   pending="{t}"),
                      ENTRY.format(transfer="{pledge-1}", account="{voucher}", amount=5,
                                   pending="{t}")]),
    ("reversal_mismatch", [ENTRY.format(transfer="{clawback-1}", account="{voucher2}", amount=3,
                                        pending="{f}"),
                           ENTRY.format(transfer="{clawback-1}", account="{budget}", amount=-3,
                                        pending="{f}")]),
    ("bad_target", [TRANSFER.format(key="void-of-single", kind="void", pending_id="{issue}",
                                    amount=1)]),
    ("hold_state", [TRANSFER.format(key="stray-void", kind="void", pending_id="{book-3}",
                                    amount=500)]),
])
def test_each_kind_of_corruption_is_named(session, chart, history, check, statements):
    """Rows inserted behind the ledger's back (INSERT is not blocked, only edits are); checked
    before commit, where PostgreSQL's deferred zero-sum trigger would refuse some of them."""
    names = {**_ids(session), "t": "TRUE", "f": "FALSE"}
    names.update({name: getattr(chart, name).id for name in
                  ("budget", "voucher", "voucher2", "escrow", "clearing")})
    assert queries.verify(session).ok
    for statement in statements:
        session.execute(sa.text(statement.format(**names)))
    assert check in {b.check for b in queries.verify(session).breaks}
    session.rollback()
