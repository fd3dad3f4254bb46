"""``flask campaigns …`` commands."""

import click
from flask.cli import AppGroup

campaigns_group = AppGroup("campaigns", help="Crowdfunding campaigns.")


@campaigns_group.command("close-due")
def close_due_command():
    """Close every live campaign past its deadline (idempotent; for cron)."""
    from marketplace.campaigns.operations import close_due
    from marketplace.extensions import db, utcnow

    closed = close_due(db.session, utcnow())
    db.session.commit()
    succeeded = sum(1 for run in closed if run.state == "succeeded")
    click.echo(f"closed {len(closed)} campaigns: {succeeded} succeeded, "
               f"{len(closed) - succeeded} failed")


@campaigns_group.command("refund-again")
def refund_again_command():
    """Ask again for the refunds Stripe refused on failed campaigns (each with a new key)."""
    from marketplace.campaigns.pledges import refund_failed_again
    from marketplace.extensions import db, utcnow

    asked = refund_failed_again(db.session, utcnow())
    db.session.commit()
    click.echo(f"asked again for {len(asked)} refunds")
