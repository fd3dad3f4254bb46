"""Concurrent pledges (issue 5, "Done when"): worker threads each push their own application
context (their own session and connection) and call ``pledge_money`` as a request would: one
transaction per attempt, committed on success, rolled back on a refusal.

(a) 20 simultaneous pledges on the last units of a limited reward tier never oversell it;
(b) the same pledge form sent 10 times at once (one request key): one pledge, one payment,
    every sender answered with that pledge.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from listings.models import Campaign, RewardTier
from marketplace.auth.models import User
from marketplace.campaigns import pledges
from marketplace.campaigns.pledge_models import HOLDING_UNIT, Pledge
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.payments.models import Payment
from tests.marketplace.bookings.concurrency import (
    fast_passwords,  # noqa: F401 — fixture
    report,
    run_in_threads,
)
from tests.marketplace.campaigns.test_pledges import (
    BANK,
    assert_clean,
    english,  # noqa: F401 — fixture
    make_live_campaign,
    pledge,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")

THREADS = 20
LIMIT, TAKEN_BEFORE = 5, 2  # 3 units left when the race starts


def _attempt(campaign_id: int, tier_id: int, user_id: int, key: str) -> tuple[str, object]:
    """One pledge in this thread's own session: ("accepted", pledge id, payment id) or the
    refusal's code. Anything that is not a DomainError fails the test."""
    session = db.session
    with force_locale("en"):
        campaign = session.get(Campaign, campaign_id)
        tier = session.get(RewardTier, tier_id)
        backer = session.get(User, user_id)
        try:
            made = pledges.pledge_money(session, campaign, backer=backer, amount_fen=50_000,
                                        tier=tier, method=BANK, key=key, now=utcnow())
            result = ("accepted", made.id, made.payment_id)
            session.commit()
            return result
        except DomainError as error:
            session.rollback()
            return (error.code, None, None)


def test_simultaneous_pledges_never_oversell_a_limited_tier(app, db, request):
    backing = make_live_campaign(tiers=((50_000, LIMIT),), backers=THREADS + TAKEN_BEFORE)
    tier = backing.tiers[0]
    for backer in backing.backers[:TAKEN_BEFORE]:
        pledge(backing, backer, 50_000, tier=tier)
    db.session.commit()
    ids = (backing.campaign.id, tier.id, [b.id for b in backing.backers[TAKEN_BEFORE:]])
    db.session.close()  # the main thread holds no connection while the workers run

    outcomes = run_in_threads(app, THREADS, lambda i: _attempt(ids[0], ids[1], ids[2][i],
                                                               uuid.uuid4().hex))
    errors = [f"thread {o.index}: {o.error!r}" for o in outcomes if o.error is not None]
    assert not errors, errors
    results = [o.value[0] for o in outcomes]
    accepted = results.count("accepted")
    refused = len(results) - accepted
    holding = db.session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
        Pledge.tier_id == ids[1], Pledge.status.in_(HOLDING_UNIT)))
    oversold = max(holding - LIMIT, 0)
    report(request, "pledge-race",
           f"tier limit {LIMIT}, pledges accepted {holding} ({accepted} of {THREADS} racing for "
           f"the last {LIMIT - TAKEN_BEFORE}), refused {refused} "
           f"({', '.join(sorted(set(r for r in results if r != 'accepted'))) or '-'}), "
           f"oversold {oversold}")
    assert oversold == 0
    assert accepted == LIMIT - TAKEN_BEFORE
    assert set(results) == {"accepted", "tier_sold_out"}
    payments_made = db.session.scalar(sa.select(sa.func.count()).select_from(Payment))
    assert payments_made == LIMIT  # one per accepted pledge, none for a refused one
    assert_clean()


def test_double_click_sent_at_once_makes_one_pledge_and_one_payment(app, db, request):
    backing = make_live_campaign(tiers=((50_000, LIMIT),), backers=1)
    ids = (backing.campaign.id, backing.tiers[0].id, backing.backers[0].id)
    db.session.close()

    outcomes = run_in_threads(app, 10, lambda i: _attempt(*ids, "one-form-key"))
    errors = [f"thread {o.index}: {o.error!r}" for o in outcomes if o.error is not None]
    assert not errors, errors
    answers = {o.value for o in outcomes}
    pledge_count = db.session.scalar(sa.select(sa.func.count()).select_from(Pledge))
    payment_count = db.session.scalar(sa.select(sa.func.count()).select_from(Payment))
    report(request, "pledge-double-click",
           f"10 identical pledge requests at once: pledges {pledge_count}, payments "
           f"{payment_count}, distinct answers {len(answers)}")
    assert len(answers) == 1 and next(iter(answers))[0] == "accepted"
    assert (pledge_count, payment_count) == (1, 1)
    assert_clean()


def test_close_racing_bank_confirmations_leaves_no_money_behind(app, db, request):
    """The campaign closes (failed) while the maker confirms 8 bank transfers at the same
    moment: each pledge is either paid first and then refunded, or cancelled first and its
    confirmation refused; nothing is left in escrow, the ledger verifies."""
    from datetime import timedelta

    from marketplace.campaigns import operations as campaigns
    from marketplace.payments import operations as payments

    count = 8
    backing = make_live_campaign(goal_fen=100_000_000, tiers=(), backers=count)
    made = [pledge(backing, b, 10_000 + i) for i, b in enumerate(backing.backers)]
    db.session.commit()
    payment_ids = [p.payment_id for p in made]
    maker_id, deadline = backing.maker.id, backing.campaign.deadline
    escrow = backing.escrow
    db.session.close()

    def work(index: int):
        session = db.session
        with force_locale("en"):
            try:
                if index == count:
                    closed = campaigns.close_due(session, deadline + timedelta(seconds=1))
                    session.commit()
                    return ("closed", len(closed))
                payment = session.get(Payment, payment_ids[index])
                payments.confirm_bank_transfer(session, payment,
                                               user=session.get(User, maker_id),
                                               now=deadline - timedelta(seconds=1))
                session.commit()
                return ("confirmed", index)
            except DomainError as error:
                session.rollback()
                return (error.code, index)

    outcomes = run_in_threads(app, count + 1, work)
    errors = [f"thread {o.index}: {o.error!r}" for o in outcomes if o.error is not None]
    assert not errors, errors
    results = [o.value[0] for o in outcomes]
    db.session.expire_all()
    states = [str(s) for s in db.session.scalars(sa.select(Pledge.status).order_by(Pledge.id))]
    from tests.marketplace.campaigns.test_pledges import balance

    left = balance(escrow)
    report(request, "pledge-close-race",
           f"close racing {count} bank confirmations: confirmed {results.count('confirmed')}, "
           f"refused {count - results.count('confirmed')}; pledges refund_pending "
           f"{states.count('refund_pending')}, cancelled {states.count('cancelled')}, "
           f"other {len(states) - states.count('refund_pending') - states.count('cancelled')}; "
           f"escrow left {left}")
    assert ("closed", 1) in [o.value for o in outcomes]
    assert states.count("refund_pending") == results.count("confirmed")
    assert states.count("refund_pending") + states.count("cancelled") == count
    assert left == 0
    assert_clean()
