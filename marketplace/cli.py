"""CLI commands: thin wrappers over operations; each commits once."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from marketplace.extensions import db


def register_commands(app: Flask) -> None:
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

    app.cli.add_command(demo)
    app.cli.add_command(users)
