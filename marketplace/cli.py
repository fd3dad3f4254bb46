"""CLI commands: thin wrappers over operations; each commits once."""

from __future__ import annotations

import contextlib
import os

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from marketplace.extensions import db


def register_commands(app: Flask) -> None:
    from marketplace.campaigns.cli import campaigns_group
    from marketplace.payments.cli import payments_group
    from marketplace.recommendations.cli import matching_group
    from marketplace.integrity.cli import integrity_group

    app.cli.add_command(payments_group)
    app.cli.add_command(campaigns_group)
    app.cli.add_command(matching_group)
    app.cli.add_command(integrity_group)
    demo = AppGroup("demo", help="Demo data.")
    users = AppGroup("users", help="Accounts.")

    @demo.command("load")
    def demo_load():
        """Load (or refresh) the Changzhi demo data; safe to run again."""
        from marketplace.demo import load_demo

        summary = load_demo()
        db.session.commit()
        click.echo("demo data: " + ", ".join(f"{k}={v}" for k, v in summary.items()))

    @users.command("create-admin")
    @click.argument("email")
    @click.option("--name", default="Administrator")
    @click.password_option()
    def create_admin(email, name, password):
        """Create a site administrator account."""
        from marketplace.auth.models import SiteRole
        from marketplace.auth.operations import register_user
        from marketplace.errors import DomainError

        try:
            user = register_user(email, name, password)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
        user.site_role = SiteRole.ADMIN
        db.session.commit()
        click.echo(f"administrator {user.email} created (id {user.id})")

    listings_group = AppGroup("listings", help="The catalogue and its search index.")

    @listings_group.command("reindex")
    @click.option("--procs", default=min(2, os.cpu_count() or 1), show_default=True,
                  help="Indexing processes.")
    def listings_reindex(procs):
        """Rebuild the search index from the database."""
        from flask import current_app

        from listings import search_backend
        from listings.indexing import rebuild_index

        count = rebuild_index(db.session, current_app.config["SEARCH_INDEX_DIR"], procs=procs)
        click.echo(f"indexed {count} published listings into {search_backend().describe()}")

    @listings_group.command("check-index")
    def listings_check_index():
        """Report listings missing from the index or stale in it (exit 1 if any)."""
        from flask import current_app

        from listings.indexing import check_index

        report = check_index(db.session, current_app.config["SEARCH_INDEX_DIR"])
        click.echo(f"published={report.published} indexed={report.indexed} "
                   f"missing={len(report.missing)} stale={len(report.stale)} "
                   f"extra={len(report.extra)}")
        for label, ids in (("missing", report.missing), ("stale", report.stale),
                           ("extra", report.extra)):
            if ids:
                click.echo(f"{label}: {', '.join(map(str, ids[:50]))}"
                           + (" …" if len(ids) > 50 else ""))
        if not report.ok:
            raise SystemExit(1)

    bookings_group = AppGroup("bookings", help="Instrument bookings.")

    @bookings_group.command("sweep")
    def bookings_sweep():
        """Reject requests left unanswered until their start; remind bookers of tomorrow's."""
        from marketplace.bookings import operations as bookings
        from marketplace.extensions import utcnow

        now = utcnow()
        expired = bookings.expire_unanswered(now)
        reminded = bookings.send_reminders(now)
        db.session.commit()
        click.echo(f"expired {expired} unanswered requests, sent {reminded} reminders")

    ledger_group = AppGroup("ledger", help="The double-entry ledger.")

    @ledger_group.command("verify")
    def ledger_verify():
        """Check the ledger's invariants over committed data; exit 1 on any break."""
        from marketplace.checks import ALL_CHECKS
        from marketplace.ledger.queries import verify_committed
        from marketplace.ops.metrics import record_ledger_verify

        report = verify_committed(db.engine, ALL_CHECKS)
        with contextlib.suppress(OSError):  # the figure /metrics shows (ledger_verify_ok)
            record_ledger_verify(current_app.instance_path, ok=report.ok,
                                 breaks=len(report.breaks), transfers=report.transfers)
        click.echo(report.verdict())
        if len(report.breaks) > 10:  # the verdict shows the first ten
            for item in report.breaks:
                click.echo(f"  {item}")
        if not report.ok:
            raise SystemExit(1)

    vouchers_group = AppGroup("vouchers", help="Voucher programmes.")

    @vouchers_group.command("expire")
    def vouchers_expire():
        """Return the unspent rest of expired quotas to their programmes' budgets (idempotent)."""
        from marketplace.extensions import utcnow
        from marketplace.money import format_fen
        from marketplace.vouchers.operations import expire_quotas

        result = expire_quotas(utcnow())
        db.session.commit()
        click.echo(f"expired {result['quotas']} quotas, returned "
                   f"{format_fen(result['returned_fen'])} ({result['returned_fen']} fen) "
                   "to the budgets")

    app.cli.add_command(demo)
    app.cli.add_command(vouchers_group)
    app.cli.add_command(ledger_group)
    app.cli.add_command(listings_group)
    app.cli.add_command(bookings_group)
    app.cli.add_command(users)
