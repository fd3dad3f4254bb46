"""Helpers for the ledger tests: a small chart of accounts and read-backs from the database."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.ledger import operations as ops
from marketplace.ledger.models import Asset, LedgerAccount, LedgerEntry, LedgerTransfer


class Chart:
    """A small chart of accounts: a voucher programme and a CNY campaign."""

    def __init__(self, session):
        self.budget = ops.open_account(session, "programme:1:layer:1:budget", Asset.VOUCHER,
                                       "budget", allow_negative=True)
        self.voucher = ops.open_account(session, "enterprise:5:voucher:programme:1",
                                        Asset.VOUCHER, "voucher")
        self.voucher2 = ops.open_account(session, "enterprise:6:voucher:programme:1",
                                         Asset.VOUCHER, "voucher")
        self.receivable = ops.open_account(session, "provider:7:receivable", Asset.VOUCHER,
                                           "receivable")
        self.reimbursed = ops.open_account(session, "provider:7:reimbursed", Asset.VOUCHER,
                                           "reimbursed")
        self.clearing = ops.open_account(session, "clearing:stripe", Asset.CNY, "clearing",
                                         allow_negative=True)
        self.escrow = ops.open_account(session, "test:escrow:3", Asset.CNY, "escrow")


def snapshot(session) -> tuple:
    """Everything the ledger holds, read from the database: a refused request must not change it."""
    accounts = session.execute(sa.select(
        LedgerAccount.code, LedgerAccount.posted_balance, LedgerAccount.pending_debits,
        LedgerAccount.pending_credits).order_by(LedgerAccount.id)).all()
    transfers = session.execute(sa.select(
        LedgerTransfer.id, LedgerTransfer.kind, LedgerTransfer.status,
        LedgerTransfer.amount).order_by(LedgerTransfer.id)).all()
    entries = session.execute(sa.select(
        LedgerEntry.id, LedgerEntry.transfer_id, LedgerEntry.account_id, LedgerEntry.amount,
        LedgerEntry.pending).order_by(LedgerEntry.id)).all()
    return tuple(map(tuple, accounts)), tuple(map(tuple, transfers)), tuple(map(tuple, entries))


def counters(session, account) -> tuple[int, int, int]:
    """(posted_balance, pending_debits, pending_credits) as stored now."""
    code = account if isinstance(account, str) else account.code
    return tuple(session.execute(sa.select(
        LedgerAccount.posted_balance, LedgerAccount.pending_debits,
        LedgerAccount.pending_credits).where(LedgerAccount.code == code)).one())
