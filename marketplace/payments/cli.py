"""``flask payments …`` commands: thin wrappers over the operations; each commits per step."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from marketplace.extensions import db

payments_group = AppGroup("payments", help="Payments: reconciliation and refunds.")


@payments_group.command("retry-refunds")
def retry_refunds_command():
    """Send every pending Stripe refund again (same idempotency key) and apply Stripe's answer."""
    from marketplace.payments import gateway
    from marketplace.payments import operations as payments
    from marketplace.payments.models import RefundStatus

    if not gateway.is_configured():
        raise click.ClickException("STRIPE_SECRET_KEY is not set: there is no Stripe to ask.")
    pending = [refund.id for refund in payments.list_refunds_to_send(db.session)]
    db.session.rollback()
    counts = {"succeeded": 0, "pending": 0, "failed": 0, "unreachable": 0}
    for refund_id in pending:
        refund = db.session.get(payments.Refund, refund_id)
        before_attempts = refund.attempts
        refund = payments.send_refund(db.session, refund)
        db.session.commit()
        if refund.status == RefundStatus.PENDING and refund.last_error:
            counts["unreachable"] += 1
        else:
            counts[str(refund.status)] += 1
        click.echo(f"refund #{refund.id} (payment #{refund.payment_id}, {refund.amount_fen} fen): "
                   f"{refund.status}{' — ' + refund.last_error if refund.last_error else ''} "
                   f"[calls {before_attempts} → {refund.attempts}]")
    click.echo(f"{len(pending)} pending refunds: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@payments_group.command("reconcile")
@click.option("--day", required=True, help="The day (Asia/Shanghai), YYYY-MM-DD.")
def reconcile_command(day):
    """List Stripe payments of a day whose state here disagrees with Stripe's (exit 1 if any)."""
    from marketplace.payments import gateway
    from marketplace.payments import operations as payments

    try:
        which = date.fromisoformat(day)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--day") from None
    if not gateway.is_configured():
        raise click.ClickException("STRIPE_SECRET_KEY is not set: there is no Stripe to ask.")
    try:
        compared, found = payments.reconcile_day(db.session, which)
    except gateway.GatewayError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.rollback()
    header = f"{'payment':>8}  {'stripe':<32}  {'ours':<24}  {'stripe says':<20}  problem"
    click.echo(header)
    click.echo("-" * len(header))
    for row in found:
        click.echo(f"{'#' + str(row.payment_id) if row.payment_id else '-':>8}  "
                   f"{row.stripe_id or '-':<32}  {row.ours:<24}  {row.stripes:<20}  {row.note}")
    if found:
        click.echo(f"{which}: {len(found)} of {compared} payments disagree with Stripe")
        raise SystemExit(1)
    click.echo(f"{which}: all {compared} payments agree with Stripe")
