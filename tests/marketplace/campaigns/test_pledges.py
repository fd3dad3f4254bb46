"""Money pledges (筹资金): the rules of ``pledge_money``, the payment's outcomes, the close.

Also the set-up the other test_pledges* modules import (``make_live_campaign``, ``Backing``):
a maker organisation's campaign taken live through the campaigns slice's real operations.
Messages are read in English (the Chinese catalogue is checked by tests/test_translations.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from listings.models import Campaign, RewardTier
from marketplace.campaigns import accounts
from marketplace.campaigns import operations as campaigns
from marketplace.campaigns import pledges
from marketplace.campaigns.models import CampaignState
from marketplace.campaigns.pledge_models import Pledge, PledgeStatus
from marketplace.checks import ALL_CHECKS
from marketplace.errors import ConflictError, DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.ledger.models import LedgerAccount
from marketplace.ledger.queries import verify
from marketplace.organizations.models import OrganizationKind
from marketplace.payments import accounts as payment_accounts
from marketplace.payments import operations as payments
from marketplace.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from tests.factories import make_officer, make_organization, make_user

BANK = "bank_transfer"


@pytest.fixture(autouse=True)
def english(db):
    with force_locale("en"):
        yield


# ---------------------------------------------------------------------------------------------
# set-up shared with the other test_pledges* modules
@dataclass
class Backing:
    """A live campaign of a maker organisation, its officer, and a few backers."""

    campaign: Campaign
    maker: object
    maker_org: object
    officer: object
    backers: list = field(default_factory=list)
    tiers: list = field(default_factory=list)

    @property
    def escrow(self) -> str:
        return accounts.escrow(self.campaign.id)

    @property
    def payable(self) -> str:
        return payment_accounts.payable(self.maker_org.id)


def make_live_campaign(*, goal_fen: int = 1_000_000, tiers=((10_000, None), (50_000, 3)),
                       backers: int = 3, now=None, days: int = 30) -> Backing:
    """A campaign with money goal ``goal_fen`` and reward tiers (min pledge, quantity limit),
    submitted, approved and launched (live for ``days`` days from ``now``)."""
    now = now or utcnow()
    maker = make_user()
    maker_org = make_organization(maker, kind=OrganizationKind.MAKER)
    officer = make_officer()
    campaign = Campaign(organization=maker_org, created_by_id=maker.id,
                        title_zh=f"智能农机众筹{uuid.uuid4().hex[:6]}", title_en="Smart tractor",
                        summary_zh="为长治农户设计的小型电动农机", district_code="140403",
                        money_goal_fen=goal_fen, deadline=now + timedelta(days=days))
    for n, (min_fen, limit) in enumerate(tiers):
        campaign.reward_tiers.append(RewardTier(title=f"回报{n + 1}", min_pledge_fen=min_fen,
                                                quantity_limit=limit, description=""))
    db.session.add(campaign)
    db.session.flush()
    campaigns.submit_campaign(db.session, campaign, maker, days, now)
    campaigns.approve_campaign(db.session, campaign, officer, now)
    campaigns.launch_campaign(db.session, campaign, maker, now)
    people = [make_user() for _ in range(backers)]
    db.session.commit()
    return Backing(campaign, maker, maker_org, officer, people,
                   sorted(campaign.reward_tiers, key=lambda t: t.min_pledge_fen))


def pledge(backing: Backing, backer, amount_fen: int, *, tier=None, method: str = BANK,
           key: str | None = None, now=None, **kwargs) -> Pledge:
    return pledges.pledge_money(db.session, backing.campaign, backer=backer,
                                amount_fen=amount_fen, tier=tier, method=method,
                                key=key or uuid.uuid4().hex, now=now or utcnow(), **kwargs)


def pay_by_bank(backing: Backing, pledge_: Pledge, now=None) -> Payment:
    payment = db.session.get(Payment, pledge_.payment_id)
    return payments.confirm_bank_transfer(db.session, payment, user=backing.maker,
                                          now=now or utcnow())


def close(backing: Backing, now=None):
    """Close the campaign at its deadline (the campaigns slice's job)."""
    now = now or backing.campaign.deadline + timedelta(seconds=1)
    closed = campaigns.close_due(db.session, now)
    db.session.commit()
    return closed


def balance(code: str) -> int:
    db.session.expire_all()
    value = db.session.scalar(sa.select(LedgerAccount.posted_balance)
                              .where(LedgerAccount.code == code))
    return value or 0


def confirm_bank_refunds(backing: Backing, now=None) -> int:
    """The maker sends every pending bank refund back; returns how many."""
    refunds = list(db.session.scalars(
        sa.select(Refund).join(Payment, Payment.id == Refund.payment_id)
        .join(Pledge, Pledge.payment_id == Payment.id)
        .where(Refund.status == RefundStatus.PENDING, Payment.method == BANK,
               Pledge.campaign_id == backing.campaign.id).order_by(Refund.id)))
    for refund in refunds:
        payments.confirm_bank_refund(db.session, refund, user=backing.maker, now=now or utcnow())
    db.session.commit()
    return len(refunds)


def assert_clean() -> None:
    db.session.expire_all()
    report = verify(db.session, [*ALL_CHECKS, pledges.campaign_escrow_problems])
    assert report.ok, report.verdict()


def statuses(backing: Backing) -> list[str]:
    db.session.expire_all()
    return [str(p.status) for p in db.session.scalars(
        sa.select(Pledge).where(Pledge.campaign_id == backing.campaign.id).order_by(Pledge.id))]


# ---------------------------------------------------------------------------------------------
# refusals
def test_pledge_refused_when_campaign_not_live(db):
    backing = make_live_campaign()
    draft = Campaign(organization=backing.maker_org, title_zh="草稿众筹", district_code="140403",
                     money_goal_fen=100_000, deadline=utcnow() + timedelta(days=10))
    db.session.add(draft)
    db.session.commit()
    with pytest.raises(InvalidStateError, match="not taking contributions"):
        pledges.pledge_money(db.session, draft, backer=backing.backers[0], amount_fen=10_000,
                             method=BANK, key="k-draft", now=utcnow())
    db.session.rollback()
    with pytest.raises(InvalidStateError, match="not taking contributions"):
        pledge(backing, backing.backers[0], 10_000,
               now=backing.campaign.deadline + timedelta(minutes=1))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0


@pytest.mark.parametrize(("amount", "message"), [
    (0, "at least ¥0.01"), (-500, "at least ¥0.01"), (10**13, "too large"),
])
def test_pledge_refuses_bad_amounts(db, amount, message):
    backing = make_live_campaign()
    with pytest.raises(DomainError, match=message) as caught:
        pledge(backing, backing.backers[0], amount)
    assert caught.value.field == "amount"


def test_pledge_refuses_amount_below_the_tier_minimum(db):
    backing = make_live_campaign()
    with pytest.raises(DomainError, match="at least ¥500") as caught:
        pledge(backing, backing.backers[0], 49_999, tier=backing.tiers[1])
    assert caught.value.field == "amount"
    db.session.rollback()
    assert pledge(backing, backing.backers[0], 50_000, tier=backing.tiers[1]).tier_id \
        == backing.tiers[1].id


def test_pledge_refuses_a_tier_of_another_campaign(db):
    first, second = make_live_campaign(), make_live_campaign()
    with pytest.raises(DomainError, match="this campaign's rewards"):
        pledge(first, first.backers[0], 100_000, tier=second.tiers[0])


def test_pledge_refuses_the_makers_own_members_and_foreign_organisations(db):
    backing = make_live_campaign()
    with pytest.raises(NotAllowedError, match="your own organisation"):
        pledge(backing, backing.maker, 10_000)
    db.session.rollback()
    stranger_org = make_organization(make_user())
    with pytest.raises(NotAllowedError, match="organisation you belong to"):
        pledge(backing, backing.backers[0], 10_000, organization=stranger_org)
    db.session.rollback()
    own_org = make_organization(backing.backers[0])
    made = pledge(backing, backing.backers[0], 10_000, organization=own_org)
    assert made.organization_id == own_org.id
    payment = db.session.get(Payment, made.payment_id)
    assert payment.payer_organization_id == own_org.id


def test_pledge_refuses_bad_keys_and_methods(db):
    backing = make_live_campaign()
    for key in ("", "x" * 65):
        with pytest.raises(DomainError, match="expired"):
            pledges.pledge_money(db.session, backing.campaign, backer=backing.backers[0],
                                 amount_fen=10_000, method=BANK, key=key, now=utcnow())
    with pytest.raises(DomainError, match="how you will pay") as caught:
        pledge(backing, backing.backers[0], 10_000, method="cheque")
    assert caught.value.field == "method"
    # no Stripe key configured in the tests: online payment is refused, nothing is written
    with pytest.raises(DomainError, match="bank transfer"):
        pledge(backing, backing.backers[0], 10_000, method="stripe")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0


def test_limited_tier_sold_out_until_a_pending_pledge_is_cancelled(db):
    backing = make_live_campaign(tiers=((50_000, 2),))
    tier = backing.tiers[0]
    first = pledge(backing, backing.backers[0], 50_000, tier=tier)
    pledge(backing, backing.backers[1], 60_000, tier=tier)
    db.session.commit()
    assert pledges.units_left(db.session, tier) == 0
    with pytest.raises(ConflictError, match="sold out") as caught:
        pledge(backing, backing.backers[2], 50_000, tier=tier)
    assert caught.value.field == "tier_id"
    db.session.rollback()
    # the first backer gives up: their payment is cancelled, the unit is free again
    payments.cancel_payment(db.session, db.session.get(Payment, first.payment_id),
                            reason="changed my mind", notify=True)
    db.session.commit()
    assert statuses(backing)[0] == "cancelled"
    assert pledges.units_left(db.session, tier) == 1
    pledge(backing, backing.backers[2], 50_000, tier=tier)
    db.session.commit()
    assert pledges.units_left(db.session, tier) == 0


# ---------------------------------------------------------------------------------------------
# idempotency
def test_same_key_returns_the_first_pledge_and_its_one_payment(db):
    backing = make_live_campaign()
    backer = backing.backers[0]
    first = pledge(backing, backer, 30_000, key="double-click")
    db.session.commit()
    again = pledge(backing, backer, 30_000, key="double-click")
    assert again.id == first.id and again.payment_id == first.payment_id
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
    payment = db.session.get(Payment, first.payment_id)
    assert payment.idempotency_key == "pledge:double-click"
    assert payment.purpose == "pledge" and payment.reference_id == str(first.id)
    assert payment.credit_account == backing.escrow
    assert payment.payee_organization_id == backing.maker_org.id
    with pytest.raises(ConflictError, match="already used"):
        pledge(backing, backing.backers[1], 30_000, key="double-click")


# ---------------------------------------------------------------------------------------------
# the payment's outcomes
def test_paid_pledge_counts_as_raised_and_sits_in_escrow(db):
    backing = make_live_campaign()
    made = pledge(backing, backing.backers[0], 120_000, anonymous=True)
    db.session.commit()
    assert pledges.money_raised(db.session, backing.campaign) == 0
    pay_by_bank(backing, made)
    db.session.commit()
    assert statuses(backing) == ["paid"]
    assert pledges.money_raised(db.session, backing.campaign) == 120_000
    assert campaigns.money_raised_fen(db.session, backing.campaign) == 120_000
    assert balance(backing.escrow) == 120_000
    assert [u.id for u in campaigns.list_backers(db.session, backing.campaign)] == \
        [backing.backers[0].id]
    assert pledges.list_public_pledges(db.session, backing.campaign)[0].public_name() == \
        "Anonymous backer"
    assert_clean()


# ---------------------------------------------------------------------------------------------
# the close: all or nothing
def test_success_releases_escrow_to_the_maker(db):
    backing = make_live_campaign(goal_fen=100_000)
    paid = [pledge(backing, b, 60_000) for b in backing.backers[:2]]
    pending = pledge(backing, backing.backers[2], 10_000, tier=backing.tiers[0])
    db.session.commit()
    for made in paid:
        pay_by_bank(backing, made)
    db.session.commit()
    assert balance(backing.escrow) == 120_000
    closed = close(backing)
    assert [r.state for r in closed] == [CampaignState.SUCCEEDED]
    assert statuses(backing) == ["released", "released", "cancelled"]
    assert balance(backing.escrow) == 0
    assert balance(backing.payable) == 120_000
    assert db.session.get(Payment, pending.payment_id).status == PaymentStatus.CANCELLED
    assert close(backing) == []  # a second close changes nothing
    print(f"success: 2 paid pledges released (120000 fen), 1 pending cancelled, "
          f"escrow left {balance(backing.escrow)}, maker payable {balance(backing.payable)}")
    assert_clean()


def test_failure_refunds_every_bank_pledge(db):
    backing = make_live_campaign(goal_fen=1_000_000)
    paid = [pledge(backing, b, 70_000 + i) for i, b in enumerate(backing.backers[:2])]
    pending = pledge(backing, backing.backers[2], 10_000)
    db.session.commit()
    for made in paid:
        pay_by_bank(backing, made)
    db.session.commit()
    closed = close(backing)
    assert [r.state for r in closed] == [CampaignState.FAILED]
    assert statuses(backing) == ["refund_pending", "refund_pending", "cancelled"]
    assert balance(backing.escrow) == 0
    assert balance(payment_accounts.REFUNDS_DUE) == 140_001
    assert db.session.get(Payment, pending.payment_id).status == PaymentStatus.CANCELLED
    assert_clean()
    assert confirm_bank_refunds(backing) == 2
    assert statuses(backing) == ["refunded", "refunded", "cancelled"]
    assert balance(payment_accounts.REFUNDS_DUE) == 0
    assert balance(payment_accounts.CLEARING_BANK) == 0
    assert close(backing) == []
    print("failure (bank): 2 paid pledges refunded, 1 pending cancelled, escrow left "
          f"{balance(backing.escrow)}, refunds due {balance(payment_accounts.REFUNDS_DUE)}")
    assert_clean()


def test_escrow_problems_reports_a_mismatch(db):
    backing = make_live_campaign()
    made = pledge(backing, backing.backers[0], 10_000)
    db.session.commit()
    pay_by_bank(backing, made)
    db.session.commit()
    assert pledges.campaign_escrow_problems(db.session) == []
    db.session.execute(sa.update(Pledge).values(status=PledgeStatus.PENDING))
    problems = pledges.campaign_escrow_problems(db.session)
    assert {p.check for p in problems} >= {"campaign_escrow", "pledge_payment_state"}
    db.session.rollback()


# ---------------------------------------------------------------------------------------------
# matchfunding
def _matched(backing, cap_fen: int):
    from tests.factories import make_programme

    programme = make_programme(backing.officer)
    fund = pledges.set_match_fund(db.session, backing.campaign, programme, cap_fen=cap_fen,
                                  officer=backing.officer, now=utcnow())
    db.session.commit()
    return programme, fund


def test_matchfunding_adds_up_to_the_cap_and_goes_to_the_maker(db):
    # 110,000 pledged alone misses the goal; with 80,000 matched it reaches it
    backing = make_live_campaign(goal_fen=150_000)
    programme, _fund = _matched(backing, 80_000)
    made = [pledge(backing, b, amount) for b, amount in zip(backing.backers, (50_000, 50_000,
                                                                               10_000))]
    db.session.commit()
    for p in made:
        pay_by_bank(backing, p)
    db.session.commit()
    db.session.expire_all()
    assert [p.matched_fen for p in made] == [50_000, 30_000, 0]
    assert pledges.money_raised(db.session, backing.campaign) == 190_000
    assert balance(accounts.match_escrow(backing.campaign.id)) == 80_000
    assert balance(accounts.match_fund(programme.id)) == -80_000
    assert_clean()
    close(backing)
    assert statuses(backing) == ["released"] * 3
    assert balance(backing.payable) == 110_000 + 80_000
    assert balance(accounts.match_escrow(backing.campaign.id)) == 0
    assert_clean()


def test_matchfunding_goes_back_to_the_fund_when_the_campaign_fails(db):
    backing = make_live_campaign(goal_fen=10_000_000)
    programme, _fund = _matched(backing, 80_000)
    made = pledge(backing, backing.backers[0], 50_000)
    db.session.commit()
    pay_by_bank(backing, made)
    db.session.commit()
    close(backing)
    assert statuses(backing) == ["refund_pending"]
    assert balance(accounts.match_escrow(backing.campaign.id)) == 0
    assert balance(accounts.match_fund(programme.id)) == 0
    assert confirm_bank_refunds(backing) == 1
    assert statuses(backing) == ["refunded"]
    assert_clean()


def test_only_officers_set_up_matchfunding(db):
    from tests.factories import make_programme

    backing = make_live_campaign()
    programme = make_programme(backing.officer)
    with pytest.raises(NotAllowedError):
        pledges.set_match_fund(db.session, backing.campaign, programme, cap_fen=1000,
                               officer=backing.maker, now=utcnow())
    with pytest.raises(DomainError, match="cap above"):
        pledges.set_match_fund(db.session, backing.campaign, programme, cap_fen=0,
                               officer=backing.officer, now=utcnow())
