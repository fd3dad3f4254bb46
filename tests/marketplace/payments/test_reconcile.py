"""``flask payments reconcile --day``: finds payments whose state here disagrees with Stripe's."""

from __future__ import annotations

from marketplace.extensions import db, utcnow
from marketplace.payments.cli import reconcile_command
from marketplace.payments.operations import SHANGHAI_OFFSET
from marketplace.payments.models import Payment
from tests.marketplace.payments.helpers import completed_booking
from tests.marketplace.payments.stripe_helpers import deliver, stripe_payment


def _today() -> str:
    return (utcnow() + SHANGHAI_OFFSET).date().isoformat()


def test_reconcile_finds_a_planted_disagreement(stripe_fake, client, app):
    runner = app.test_cli_runner()
    owed = completed_booking()
    agreed, _url = stripe_payment(owed)
    deliver(client, stripe_fake.event("checkout.session.completed",
                                      stripe_fake.complete_checkout(agreed.stripe_checkout_session_id)))
    open_one, _url = stripe_payment(completed_booking(owed.world, day=2))
    clean = runner.invoke(reconcile_command, ["--day", _today()])
    assert clean.exit_code == 0, clean.output
    assert "all 2 payments agree" in clean.output

    # planted: the customer paid, the webhook never came
    lost, _url = stripe_payment(completed_booking(owed.world, day=3))
    stripe_fake.complete_checkout(lost.stripe_checkout_session_id)
    # and a session at Stripe that is not ours
    stripe_fake.sessions["cs_test_stranger"] = dict(
        stripe_fake.sessions[lost.stripe_checkout_session_id], id="cs_test_stranger",
        metadata={"payment_id": "999999"}, client_reference_id="999999")
    result = runner.invoke(reconcile_command, ["--day", _today()])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(f"#{lost.id}" in line and "paid at Stripe, not here" in line for line in lines)
    assert any("cs_test_stranger" in line and "not in our records" in line for line in lines)
    assert not any(f"#{agreed.id} " in line or f"#{open_one.id} " in line for line in lines[2:-1])
    assert "2 of 4 payments disagree" in lines[-1]
    db.session.expire_all()
    assert db.session.get(Payment, lost.id).status == "pending"  # reconcile only reads
    print("reconcile: planted disagreements found 2/2 — " + lines[-1])


def test_reconcile_refuses_a_bad_day(stripe_fake, app):
    result = app.test_cli_runner().invoke(reconcile_command, ["--day", "2026-13-01"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
