"""``flask integrity scan``: run the anti-fraud detectors once."""

from __future__ import annotations

import click
from flask.cli import AppGroup

integrity_group = AppGroup("integrity", help="Anti-fraud signals (step 7).")


@integrity_group.command("scan")
def scan_command():
    """Detect signals (idempotent: a finding already stored is not added again)."""
    from marketplace.extensions import db, utcnow
    from marketplace.integrity.detectors import scan

    counts = scan(db.session, utcnow())
    db.session.commit()
    if not counts:
        click.echo("no new signals")
    for kind, n in sorted(counts.items()):
        click.echo(f"{kind}: {n}")
