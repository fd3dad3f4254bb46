"""Reading the ledger: balances and the global consistency check behind ``flask ledger verify``.

``verify`` recomputes everything from the entries (the append-only truth) and compares it with the
cached counters and the hold states; it reports breaks, it never repairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from marketplace.ledger.errors import UnknownAccountError
from marketplace.ledger.models import (
    HoldStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransfer,
    TransferKind,
)

AccountRef = LedgerAccount | str


def balance(session: Session, account: AccountRef) -> int:
    """The posted balance (credits − debits), read from the database now."""
    return _counters(session, account)[0]


def available(session: Session, account: AccountRef) -> int:
    """What may still be drawn: posted balance less the open holds drawing from the account."""
    posted, pending_debits = _counters(session, account)
    return posted - pending_debits


def _counters(session: Session, account: AccountRef) -> tuple[int, int]:
    code = account.code if isinstance(account, LedgerAccount) else account
    row = session.execute(sa.select(LedgerAccount.posted_balance, LedgerAccount.pending_debits)
                          .where(LedgerAccount.code == code)).one_or_none()
    if row is None:
        raise UnknownAccountError(f"unknown ledger account: {code}")
    return row.posted_balance, row.pending_debits


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Break:
    """One violated invariant: which check, about what, and the numbers."""

    check: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.check} {self.subject} ({self.detail})"


@dataclass
class VerifyReport:
    transfers: int
    accounts: int
    entries: int
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    def verdict(self, limit: int = 10) -> str:
        """One line: ``ledger verify: OK — 123 transfers, 45 accounts, 0 breaks`` or the breaks."""
        counts = f"{self.transfers} transfers, {self.accounts} accounts"
        if self.ok:
            return f"ledger verify: OK — {counts}, 0 breaks"
        shown = "; ".join(str(b) for b in self.breaks[:limit])
        more = f"; … {len(self.breaks) - limit} more" if len(self.breaks) > limit else ""
        noun = "break" if len(self.breaks) == 1 else "breaks"
        return f"ledger verify: FAILED — {counts}, {len(self.breaks)} {noun}: {shown}{more}"

    def __str__(self) -> str:
        return self.verdict()


def verify(session: Session, checks=()) -> VerifyReport:
    """Check every ledger invariant against the entries, in the caller's transaction.

    1. each transfer's entries sum to zero (posted and pending separately), carry the transfer's
       asset and pending flag, and add up to its amount (a hold has two entries, a void none);
    2. each account's cached posted_balance / pending_debits / pending_credits equal the fold of
       its entries (open holds only for the pending ones);
    3. no account without allow_negative is overdrawn (fold: posted − open debits < 0);
    4. each hold is resolved at most once and its status matches: pending — none, posted — one
       post (≤ its amount), voided — one void (of its amount); resolutions point at holds;
    5. a reversal reverses a single or post transfer, with exactly its entries negated.
    """
    T, E, A = LedgerTransfer, LedgerEntry, LedgerAccount  # noqa: N806
    breaks: list[Break] = []
    count = lambda model: session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
    report = VerifyReport(transfers=count(T), accounts=count(A), entries=count(E), breaks=breaks)

    # 1. zero sum, per transfer and pending flag
    for transfer_id, pending, total in session.execute(
            sa.select(E.transfer_id, E.pending, sa.func.sum(E.amount))
            .group_by(E.transfer_id, E.pending).having(sa.func.sum(E.amount) != 0)
            .order_by(E.transfer_id)):
        side = "pending" if pending else "posted"
        breaks.append(Break("unbalanced", f"transfer #{transfer_id}", f"{side} entries sum to {total}"))

    # 1. entries agree with their transfer
    for entry_id, transfer_id, kind in session.execute(
            sa.select(E.id, T.id, T.kind).join(T, E.transfer_id == T.id)
            .where(E.pending != (T.kind == TransferKind.PENDING)).order_by(E.id)):
        breaks.append(Break("pending_flag", f"entry #{entry_id}",
                            f"transfer #{transfer_id} is a {kind}"))
    for entry_id, transfer_id, account_asset, transfer_asset in session.execute(
            sa.select(E.id, T.id, A.asset, T.asset).join(T, E.transfer_id == T.id)
            .join(A, E.account_id == A.id).where(A.asset != T.asset).order_by(E.id)):
        breaks.append(Break("mixed_assets", f"entry #{entry_id}",
                            f"account in {account_asset}, transfer #{transfer_id} in {transfer_asset}"))
    credits = sa.func.coalesce(sa.func.sum(sa.case((E.amount > 0, E.amount), else_=0)), 0)
    legs = sa.func.count(E.id)
    for transfer_id, kind, amount, n, moved in session.execute(
            sa.select(T.id, T.kind, T.amount, legs, credits).outerjoin(E, E.transfer_id == T.id)
            .group_by(T.id, T.kind, T.amount)
            .having(sa.or_(
                sa.and_(T.kind == TransferKind.VOID, legs != 0),
                sa.and_(T.kind == TransferKind.PENDING, legs != 2),
                sa.and_(T.kind != TransferKind.VOID, sa.or_(legs < 2, credits != T.amount))))
            .order_by(T.id)):
        breaks.append(Break("transfer_shape", f"transfer #{transfer_id}",
                            f"{kind} of {amount} has {n} entries crediting {moved}"))

    # 2 and 3. cached counters against the fold of the entries
    posted = (sa.select(E.account_id, sa.func.sum(E.amount).label("total"))
              .where(~E.pending).group_by(E.account_id).subquery())
    held = (sa.select(E.account_id,
                      sa.func.sum(sa.case((E.amount < 0, -E.amount), else_=0)).label("debits"),
                      sa.func.sum(sa.case((E.amount > 0, E.amount), else_=0)).label("credits"))
            .join(T, E.transfer_id == T.id)
            .where(E.pending, T.status == HoldStatus.PENDING).group_by(E.account_id).subquery())
    for row in session.execute(
            sa.select(A.code, A.allow_negative, A.posted_balance, A.pending_debits,
                      A.pending_credits,
                      sa.func.coalesce(posted.c.total, 0).label("posted_fold"),
                      sa.func.coalesce(held.c.debits, 0).label("debits_fold"),
                      sa.func.coalesce(held.c.credits, 0).label("credits_fold"))
            .outerjoin(posted, posted.c.account_id == A.id)
            .outerjoin(held, held.c.account_id == A.id).order_by(A.id)):
        subject = f"account {row.code}"
        for name, cached, fold in (("posted_balance", row.posted_balance, row.posted_fold),
                                   ("pending_debits", row.pending_debits, row.debits_fold),
                                   ("pending_credits", row.pending_credits, row.credits_fold)):
            if cached != fold:
                breaks.append(Break(f"{name}_mismatch", subject, f"cached {cached}, entries {fold}"))
        if not row.allow_negative and row.posted_fold - row.debits_fold < 0:
            breaks.append(Break("overdrawn", subject,
                                f"posted {row.posted_fold}, held {row.debits_fold}"))

    # 4. holds and their resolutions
    R = aliased(T)  # noqa: N806
    posts = sa.func.count(sa.case((R.kind == TransferKind.POST, R.id)))
    voids = sa.func.count(sa.case((R.kind == TransferKind.VOID, R.id)))
    resolved_amount = sa.func.max(R.amount)
    for hold_id, status, amount, n_posts, n_voids, resolved in session.execute(
            sa.select(T.id, T.status, T.amount, posts, voids, resolved_amount)
            .outerjoin(R, R.pending_id == T.id).where(T.kind == TransferKind.PENDING)
            .group_by(T.id, T.status, T.amount)
            .having(sa.or_(
                posts + voids > 1,
                sa.and_(T.status == HoldStatus.PENDING, posts + voids != 0),
                sa.and_(T.status == HoldStatus.POSTED, sa.or_(posts != 1, resolved_amount > T.amount)),
                sa.and_(T.status == HoldStatus.VOIDED, sa.or_(voids != 1, resolved_amount != T.amount))))
            .order_by(T.id)):
        breaks.append(Break("hold_state", f"hold #{hold_id}",
                            f"{status}, {amount} held; {n_posts} posts, {n_voids} voids, "
                            f"resolved amount {resolved}"))
    for transfer_id, kind, target_kind in session.execute(
            sa.select(T.id, T.kind, R.kind)
            .join(R, sa.or_(R.id == T.pending_id, R.id == T.reverses_id))
            .where(sa.or_(sa.and_(T.pending_id.is_not(None), R.kind != TransferKind.PENDING),
                          sa.and_(T.reverses_id.is_not(None),
                                  R.kind.not_in([TransferKind.SINGLE, TransferKind.POST]))))
            .order_by(T.id)):
        breaks.append(Break("bad_target", f"transfer #{transfer_id}",
                            f"a {kind} of a {target_kind}"))

    # 5. a reversal negates its original, account by account
    for transfer_id, account_id, net in session.execute(
            sa.select(T.id, E.account_id, sa.func.sum(E.amount))
            .join(E, sa.or_(E.transfer_id == T.id, E.transfer_id == T.reverses_id))
            .where(T.kind == TransferKind.REVERSAL)
            .group_by(T.id, E.account_id).having(sa.func.sum(E.amount) != 0)
            .order_by(T.id, E.account_id)):
        breaks.append(Break("reversal_mismatch", f"transfer #{transfer_id}",
                            f"account #{account_id} nets {net} with the original"))

    # 6. the business's own checks (the ledger does not know them): callables (session) → breaks
    for check in checks:
        breaks.extend(check(session))
    return report


def verify_committed(engine: sa.Engine, checks=()) -> VerifyReport:
    """``verify`` over one consistent snapshot of what is committed (REPEATABLE READ on
    PostgreSQL, a read transaction on SQLite), so that concurrent writers cannot fake a break."""
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")  # pysqlite opens no transaction for reads
        with Session(bind=connection) as session:
            report = verify(session, checks)
        connection.rollback()
    return report
