"""Money pledges (筹资金): pledge, the payment's outcomes, the campaign's close, matchfunding.

Account flows (all CNY; codes in ``campaigns.accounts`` and ``payments.accounts``):
* a pledge is paid (bank transfer confirmed, or Stripe's webhook): the payments module moves
  ``cny:clearing:<method>`` → ``campaign:<id>:escrow``; the pledge becomes paid in that same
  transaction (``on_paid``). With an active match fund the programme adds min(amount, cap left):
  ``programme:<pid>:match-fund`` → ``campaign:<id>:match-escrow``.
* the campaign succeeds: one transfer ``campaign:<id>:escrow`` → ``org:<maker>:payable`` of every
  paid pledge (key ``campaign:<id>:release``), and the matched money ``match-escrow`` →
  ``org:<maker>:payable`` (``campaign:<id>:match-release``); pending pledges' payments cancelled.
* the campaign fails: every paid pledge is refunded through the payments module (``escrow`` →
  ``cny:refunds-due`` now, then ``refunds-due`` → clearing when the refund is confirmed), the
  matched money goes back ``match-escrow`` → ``match-fund`` (``campaign:<id>:match-return``);
  pending pledges' payments cancelled.

Invariants:
* a campaign's escrow holds exactly its paid (not yet released or refunded) pledges, and its
  match-escrow exactly what was matched on them (``campaign_escrow_problems`` checks both);
* a limited reward tier is never oversold: the tier row is locked and its pending, paid and
  released pledges counted before a pledge is added;
* the same request key again returns the first pledge (and its one payment);
* a pledge's status changes in the transaction that moves its money.
Lock order, the same in every flow: campaign → reward tier → payment → pledge → match fund →
ledger accounts.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from listings.models import Campaign, RewardTier
from marketplace.audit import record_audit
from marketplace.campaigns import accounts
from marketplace.campaigns import operations as campaigns
from marketplace.campaigns.models import CLOSED
from marketplace.campaigns.pledge_models import (
    HOLDING_UNIT,
    RAISED,
    MatchFund,
    Pledge,
    PledgeStatus,
)
from marketplace.errors import ConflictError, DomainError, InvalidStateError, NotAllowedError
from marketplace.ledger import operations as ledger
from marketplace.ledger.models import LedgerAccount
from marketplace.ledger.queries import Break
from marketplace.payments import accounts as payment_accounts
from marketplace.payments import operations as payments
from marketplace.payments.models import Payment, PaymentMethod, PaymentStatus
from marketplace.transactions import begin_write, lock, lock_accounts

log = logging.getLogger(__name__)

PURPOSE = "pledge"
MAX_PLEDGE_FEN = 100_000_000_00  # ¥100 million: far above any real pledge, far below overflow


class TierSoldOutError(ConflictError):
    code = "tier_sold_out"


# ---------------------------------------------------------------------------------------------
# reading
def units_taken(session: Session, tier: RewardTier) -> int:
    """Pledges holding a unit of the tier (pending ones reserve it until their payment is
    cancelled)."""
    return session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
        Pledge.tier_id == tier.id, Pledge.status.in_(HOLDING_UNIT)))


def units_left(session: Session, tier: RewardTier) -> int | None:
    """None for an unlimited tier."""
    if tier.quantity_limit is None:
        return None
    return max(tier.quantity_limit - units_taken(session, tier), 0)


def money_raised(session: Session, campaign) -> int:
    """Paid (and released) pledges plus what matchfunding added to them, in fen."""
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Pledge.amount_fen + Pledge.matched_fen), 0))
        .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(RAISED)))
    return int(total or 0)


def pledged_fen(session: Session, campaign) -> int:
    """Paid (and released) pledges only, without matchfunding."""
    return int(session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Pledge.amount_fen), 0))
        .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(RAISED))) or 0)


def matched_fen(session: Session, campaign) -> int:
    return int(session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Pledge.matched_fen), 0))
        .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(RAISED))) or 0)


def list_backers(session: Session, campaign) -> list:
    """The users whose money reached the campaign (anonymous ones too: this is for mailing
    updates, never for display), each once, in the order they first pledged."""
    from marketplace.auth.models import User

    first = (sa.select(Pledge.backer_id, sa.func.min(Pledge.id).label("first"))
             .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(RAISED))
             .group_by(Pledge.backer_id).subquery())
    return list(session.scalars(sa.select(User).join(first, first.c.backer_id == User.id)
                                .order_by(first.c.first)))


def list_public_pledges(session: Session, campaign, limit: int = 50) -> list[Pledge]:
    """Paid pledges for the backers list, newest first (``public_name`` hides anonymous ones)."""
    return list(session.scalars(
        sa.select(Pledge).where(Pledge.campaign_id == campaign.id, Pledge.status.in_(RAISED))
        .order_by(Pledge.id.desc()).limit(limit)))


def count_backers(session: Session, campaign) -> int:
    return session.scalar(sa.select(sa.func.count(sa.distinct(Pledge.backer_id)))
                          .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(RAISED)))


def list_pledges(session: Session, campaign) -> list[Pledge]:
    """Every pledge of a campaign, newest first (the maker's dashboard, officers)."""
    return list(session.scalars(sa.select(Pledge).where(Pledge.campaign_id == campaign.id)
                                .order_by(Pledge.id.desc())))


def list_my_pledges(session: Session, user) -> list[Pledge]:
    return list(session.scalars(sa.select(Pledge).where(Pledge.backer_id == user.id)
                                .order_by(Pledge.id.desc())))


def get_match_fund(session: Session, campaign) -> MatchFund | None:
    return session.scalars(sa.select(MatchFund).where(MatchFund.campaign_id == campaign.id)).first()


def payment_of(session: Session, pledge: Pledge) -> Payment | None:
    return session.get(Payment, pledge.payment_id) if pledge.payment_id else None


# ---------------------------------------------------------------------------------------------
# pledging
def pledge_money(session: Session, campaign, *, backer, amount_fen: int, tier=None,
                 anonymous: bool = False, method, key: str, organization=None,
                 now: datetime) -> Pledge:
    """Pledge money to a live campaign, optionally for a reward tier, and start its payment
    (pending until the money arrives). The same ``key`` again returns the first pledge."""
    if not key or not isinstance(key, str) or len(key) > 64:
        raise DomainError(_("The pledge form has expired. Please reload the page."))
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise DomainError(_("Choose how you will pay."), "method") from None
    begin_write(session)
    if (existing := _by_request_key(session, key)) is not None:
        return _replay(existing, backer)
    if organization is not None and not organization.is_member(backer):
        raise NotAllowedError(_("You can only pledge for an organisation you belong to."))
    # the campaign's run, locked: a concurrent close waits for this pledge (or refuses it)
    campaigns.require_live(session, campaign, now)
    if campaign.organization.is_member(backer):
        raise NotAllowedError(_("You cannot back your own organisation's campaign."))
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DomainError(_("Enter an amount of at least ¥0.01."), "amount")
    if amount_fen > MAX_PLEDGE_FEN:
        raise DomainError(_("That amount is too large for one pledge."), "amount")
    if tier is not None:
        if tier.campaign_id != campaign.id:
            raise DomainError(_("Choose one of this campaign's rewards."), "tier_id")
        tier = lock(session, RewardTier, tier.id)
        if amount_fen < tier.min_pledge_fen:
            from marketplace.money import format_fen

            raise DomainError(_("This reward needs a pledge of at least %(amount)s.",
                                amount=format_fen(tier.min_pledge_fen)), "amount")
        if tier.quantity_limit is not None and units_taken(session, tier) >= tier.quantity_limit:
            raise TierSoldOutError(_("This reward is sold out. Choose another reward or pledge "
                                     "without one."), "tier_id")
    pledge = Pledge(campaign_id=campaign.id, backer_id=backer.id,
                    organization_id=organization.id if organization is not None else None,
                    tier_id=tier.id if tier is not None else None, amount_fen=amount_fen,
                    is_anonymous=bool(anonymous), method=str(method),
                    status=PledgeStatus.PENDING, request_key=key, matched_fen=0, created_at=now)
    try:
        with session.begin_nested():
            session.add(pledge)
            session.flush()
    except sa.exc.IntegrityError:
        # a twin request with this key committed first: answer with its pledge
        if (existing := _by_request_key(session, key)) is not None:
            return _replay(existing, backer)
        raise
    payment = payments.start_payment(
        session, key=f"pledge:{key}", purpose=PURPOSE, reference_id=str(pledge.id),
        amount_fen=amount_fen, credit_account=accounts.escrow(campaign.id, session),
        description=_pledge_description(campaign), payer=backer, method=method,
        payer_organization=organization, payee_organization=campaign.organization, now=now)
    pledge.payment_id = payment.id
    session.flush()
    record_audit(backer, "pledge.create", pledge, after=pledge.snapshot())
    log.info("pledge %s: %s fen to campaign %s by user %s (%s)", pledge.id, amount_fen,
             campaign.id, backer.id, method)
    return pledge


def _pledge_description(campaign) -> str:
    title = campaign.title_for("zh")
    return f"支持众筹项目: {title}"[:200]


def _by_request_key(session: Session, key: str) -> Pledge | None:
    return session.scalars(sa.select(Pledge).where(Pledge.request_key == key)).first()


def _replay(existing: Pledge, backer) -> Pledge:
    if existing.backer_id != backer.id:
        raise ConflictError(_("This pledge form was already used. Please reload the page."))
    return existing


# ---------------------------------------------------------------------------------------------
# the payment's outcomes (called by the payments module in the payment's own transaction)
def _pledge_of_payment(session: Session, payment) -> Pledge | None:
    pledge = session.scalars(
        sa.select(Pledge).where(Pledge.payment_id == payment.id)
        .with_for_update(key_share=True).execution_options(populate_existing=True)).first()
    if pledge is None:
        log.error("payment %s (purpose pledge, reference %s) has no pledge", payment.id,
                  payment.reference_id)
    return pledge


def on_paid(session: Session, payment) -> None:
    """The money is in escrow: the pledge is paid; matchfunding adds its share. Money for a
    pledge that was cancelled meanwhile (a failed payment retried after the campaign closed)
    goes straight back to the payer."""
    pledge = _pledge_of_payment(session, payment)
    if pledge is None:
        return
    now = payment.paid_at
    if pledge.status == PledgeStatus.CANCELLED:
        payments.refund_payment(session, payment, key=f"pledge:{pledge.id}:late-refund",
                                reason="pledge cancelled before the money arrived",
                                debit_account=accounts.escrow(pledge.campaign_id, session),
                                now=now)
        pledge.refund_late(now)
        session.flush()
        record_audit(None, "pledge.late_refund", pledge, after=pledge.snapshot())
        return
    if pledge.status != PledgeStatus.PENDING:
        return
    pledge.mark_paid(now)
    _match(session, pledge)
    session.flush()
    record_audit(None, "pledge.paid", pledge, after=pledge.snapshot())


def on_failed(session: Session, payment) -> None:
    """A cancelled payment cancels its pending pledge (the reward unit is free again). A failed
    one does not: the payer may still retry it; the campaign's close cancels it at the latest."""
    if payment.status != PaymentStatus.CANCELLED:
        return
    pledge = _pledge_of_payment(session, payment)
    if pledge is None or pledge.status != PledgeStatus.PENDING:
        return
    pledge.cancel(payment.cancelled_at or payment.updated_at)
    session.flush()
    record_audit(None, "pledge.cancel", pledge, after=pledge.snapshot())


def on_refunded(session: Session, refund) -> None:
    """The payer has the money back."""
    pledge = _pledge_of_payment(session, refund.payment)
    if pledge is None or pledge.status != PledgeStatus.REFUND_PENDING:
        return
    pledge.mark_refunded(refund.succeeded_at)
    session.flush()
    record_audit(None, "pledge.refunded", pledge, after=pledge.snapshot())


payments.register_purpose(PURPOSE, on_paid=on_paid, on_failed=on_failed, on_refunded=on_refunded)


# ---------------------------------------------------------------------------------------------
# matchfunding
def set_match_fund(session: Session, campaign, programme, *, cap_fen: int, officer,
                   now: datetime) -> MatchFund:
    """An officer lets a programme match the campaign's money pledges 1:1 up to ``cap_fen``
    (pledges paid from now on); a second call changes the cap (never below what was matched)."""
    if not officer.is_officer:
        raise NotAllowedError(_("Only programme officers can set up matchfunding."))
    if isinstance(cap_fen, bool) or not isinstance(cap_fen, int) or not 0 < cap_fen <= MAX_PLEDGE_FEN:
        raise DomainError(_("Enter a cap above ¥0."), "cap_fen")
    if not programme.is_open:
        raise DomainError(_("Only an open programme can match pledges."), "programme_id")
    begin_write(session)
    if campaigns.state_of(campaign) in CLOSED:
        raise InvalidStateError(_("This campaign has closed."))
    fund = get_match_fund(session, campaign)
    if fund is not None:
        fund = lock(session, MatchFund, fund.id)
        if cap_fen < fund.matched_fen:
            raise DomainError(_("The cap cannot be below what was matched already."), "cap_fen")
        fund.cap_fen, fund.programme_id, fund.is_active = cap_fen, programme.id, True
    else:
        fund = MatchFund(programme_id=programme.id, campaign_id=campaign.id, cap_fen=cap_fen,
                         matched_fen=0, is_active=True, created_by_id=officer.id, created_at=now)
        session.add(fund)
    session.flush()
    accounts.match_fund(programme.id, session)
    accounts.match_escrow(campaign.id, session)
    record_audit(officer, "match_fund.set", fund, after={"cap_fen": cap_fen,
                                                          "programme_id": programme.id})
    return fund


def _match(session: Session, pledge: Pledge) -> None:
    fund = get_match_fund(session, pledge.campaign)
    if fund is None or not fund.is_active:
        return
    fund = lock(session, MatchFund, fund.id)
    amount = min(pledge.amount_fen, fund.left_fen)
    if amount <= 0:
        return
    source = accounts.match_fund(fund.programme_id, session)
    target = accounts.match_escrow(pledge.campaign_id, session)
    lock_accounts(session, [source, target])
    ledger.transfer(session, f"pledge:{pledge.id}:match", [(source, -amount), (target, amount)],
                    memo=f"matchfunding of pledge #{pledge.id}", reference=("pledge", pledge.id))
    fund.matched_fen += amount
    pledge.match_fund_id, pledge.matched_fen = fund.id, amount


# ---------------------------------------------------------------------------------------------
# the campaign closes (called by the campaigns module in the close's transaction)
def close_pledges(session: Session, campaign, succeeded: bool, now: datetime) -> None:
    """All or nothing: release every paid pledge to the maker, or refund every one; pending
    pledges' payments are cancelled either way. Idempotent (keys derived from ids)."""
    _cancel_pending(session, campaign, now)
    paid = list(session.scalars(
        sa.select(Pledge).where(Pledge.campaign_id == campaign.id,
                                Pledge.status == PledgeStatus.PAID)
        .order_by(Pledge.id).execution_options(populate_existing=True)))
    if succeeded:
        _release(session, campaign, paid, now)
    else:
        _refund(session, campaign, paid, now)


def _cancel_pending(session: Session, campaign, now: datetime) -> None:
    pending = list(session.scalars(
        sa.select(Pledge).where(Pledge.campaign_id == campaign.id,
                                Pledge.status == PledgeStatus.PENDING).order_by(Pledge.id)))
    for pledge in pending:
        # locked, then only a pending payment is cancelled: one paid meanwhile (its own
        # transaction won the lock) is counted as paid below; a failed one stays failed
        payment = lock(session, Payment, pledge.payment_id) if pledge.payment_id else None
        if payment is not None and payment.status == PaymentStatus.PENDING:
            payments.cancel_payment(session, payment, reason="campaign closed", now=now)
        session.refresh(pledge)
        if pledge.status == PledgeStatus.PENDING:
            pledge.cancel(now)
            record_audit(None, "pledge.cancel", pledge, after=pledge.snapshot())
    session.flush()


def _release(session: Session, campaign, paid: list[Pledge], now: datetime) -> None:
    if not paid:
        return
    escrow = accounts.escrow(campaign.id, session)
    payable = payment_accounts.payable(campaign.organization_id, session)
    total = sum(p.amount_fen for p in paid)
    matched = sum(p.matched_fen for p in paid)
    codes = [escrow, payable] + ([accounts.match_escrow(campaign.id, session)] if matched else [])
    lock_accounts(session, codes)
    if total:
        ledger.transfer(session, f"campaign:{campaign.id}:release",
                        [(escrow, -total), (payable, total)],
                        memo=f"campaign #{campaign.id} succeeded: pledges to the maker",
                        reference=("campaign", campaign.id))
    if matched:
        ledger.transfer(session, f"campaign:{campaign.id}:match-release",
                        [(accounts.match_escrow(campaign.id), -matched), (payable, matched)],
                        memo=f"campaign #{campaign.id} succeeded: matchfunding to the maker",
                        reference=("campaign", campaign.id))
    for pledge in paid:
        pledge.release(now)
    session.flush()
    log.info("campaign %s succeeded: %s pledges released, %s fen (+%s matched)", campaign.id,
             len(paid), total, matched)


def _refund(session: Session, campaign, paid: list[Pledge], now: datetime) -> None:
    if not paid:
        return
    escrow = accounts.escrow(campaign.id, session)
    matched_by_fund: dict[int, int] = {}
    for pledge in paid:
        payment = payment_of(session, pledge)
        payments.refund_payment(session, payment, key=f"pledge:{pledge.id}:refund",
                                reason="campaign failed", debit_account=escrow, now=now)
        pledge.start_refund(now)
        if pledge.matched_fen:
            matched_by_fund[pledge.match_fund_id] = (matched_by_fund.get(pledge.match_fund_id, 0)
                                                     + pledge.matched_fen)
    for fund_id, amount in sorted(matched_by_fund.items()):
        fund = session.get(MatchFund, fund_id)
        source = accounts.match_escrow(campaign.id, session)
        target = accounts.match_fund(fund.programme_id, session)
        lock_accounts(session, [source, target])
        ledger.transfer(session, f"campaign:{campaign.id}:match-return:{fund_id}",
                        [(source, -amount), (target, amount)],
                        memo=f"campaign #{campaign.id} failed: matchfunding returned",
                        reference=("campaign", campaign.id))
    session.flush()
    log.info("campaign %s failed: %s pledges being refunded", campaign.id, len(paid))


def refund_failed_again(session: Session, now: datetime) -> list[Pledge]:
    """Ask again for the refund of every pledge whose refunds all failed (Stripe refused it:
    the payments module put the money back in escrow). Each attempt has its own key
    (``pledge:<id>:refund:<n>``); a cron or an operator runs this, then commits."""
    from marketplace.payments.models import Refund, RefundStatus

    begin_write(session)
    live = sa.select(Refund.payment_id).where(Refund.status != RefundStatus.FAILED)
    stuck = list(session.scalars(
        sa.select(Pledge).where(Pledge.status == PledgeStatus.REFUND_PENDING,
                                Pledge.payment_id.not_in(live)).order_by(Pledge.id)))
    for pledge in stuck:
        payment = payment_of(session, pledge)
        attempt = 1 + session.scalar(sa.select(sa.func.count()).select_from(Refund)
                                     .where(Refund.payment_id == payment.id))
        payments.refund_payment(session, payment, key=f"pledge:{pledge.id}:refund:{attempt}",
                                reason="campaign failed (refund asked again)",
                                debit_account=accounts.escrow(pledge.campaign_id, session),
                                now=now)
        log.info("pledge %s: refund asked again (attempt %s)", pledge.id, attempt)
    return stuck


campaigns.register_close_handler(close_pledges)
campaigns.register_money_raised(money_raised)
campaigns.register_backers(list_backers)


# ---------------------------------------------------------------------------------------------
# the business check for ``flask ledger verify`` (the integrator adds it to marketplace/checks)
def campaign_escrow_problems(session: Session) -> list[Break]:
    """Each campaign's escrow holds exactly its paid pledges and its match-escrow exactly what
    was matched on them; a closed campaign has no paid or pending pledge left."""
    breaks = []
    from marketplace.payments.models import Refund, RefundStatus

    # in escrow: paid pledges, and pledges being refunded whose refunds all failed (the
    # payments module put the money back; ``refund_failed_again`` asks again)
    live = sa.select(Refund.payment_id).where(Refund.status != RefundStatus.FAILED)
    in_escrow = sa.or_(Pledge.status == PledgeStatus.PAID,
                       sa.and_(Pledge.status == PledgeStatus.REFUND_PENDING,
                               Pledge.payment_id.not_in(live)))
    held = dict(session.execute(
        sa.select(Pledge.campaign_id, sa.func.sum(Pledge.amount_fen))
        .where(in_escrow).group_by(Pledge.campaign_id)).all())
    matched = dict(session.execute(
        sa.select(Pledge.campaign_id, sa.func.sum(Pledge.matched_fen))
        .where(Pledge.status == PledgeStatus.PAID).group_by(Pledge.campaign_id)).all())
    balances = {code: balance for code, balance in session.execute(
        sa.select(LedgerAccount.code, LedgerAccount.posted_balance)
        .where(LedgerAccount.code.like("campaign:%")))}
    campaign_ids = set(held) | set(matched) | {
        int(code.split(":")[1]) for code in balances if code.split(":")[1].isdigit()}
    for campaign_id in sorted(campaign_ids):
        for code, expected, name in (
                (accounts.escrow(campaign_id), held.get(campaign_id, 0), "escrow"),
                (accounts.match_escrow(campaign_id), matched.get(campaign_id, 0),
                 "match_escrow")):
            balance = balances.get(code, 0)
            if balance != (expected or 0):
                breaks.append(Break(f"campaign_{name}", f"campaign #{campaign_id}",
                                    f"{code} holds {balance}, paid pledges say {expected or 0}"))
    for campaign_id, status, count in session.execute(
            sa.select(Pledge.campaign_id, Pledge.status, sa.func.count())
            .where(Pledge.status.in_((PledgeStatus.PENDING, PledgeStatus.PAID)))
            .group_by(Pledge.campaign_id, Pledge.status)):
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None and campaigns.state_of(campaign) in CLOSED:
            breaks.append(Break("closed_campaign_open_pledges", f"campaign #{campaign_id}",
                                f"{count} pledges still {status}"))
    for pledge_id, pledge_status, payment_status in session.execute(
            sa.select(Pledge.id, Pledge.status, Payment.status)
            .join(Payment, Payment.id == Pledge.payment_id)
            .where(sa.or_(
                sa.and_(Pledge.status.in_((PledgeStatus.PAID, PledgeStatus.RELEASED,
                                           PledgeStatus.REFUND_PENDING)),
                        Payment.status != PaymentStatus.PAID),
                sa.and_(Pledge.status == PledgeStatus.REFUNDED,
                        Payment.status != PaymentStatus.REFUNDED),
                sa.and_(Pledge.status == PledgeStatus.PENDING,
                        Payment.status != PaymentStatus.PENDING)))):
        breaks.append(Break("pledge_payment_state", f"pledge #{pledge_id}",
                            f"pledge {pledge_status}, payment {payment_status}"))
    return breaks
