"""``flask matching …``: train the recommender from the database, evaluate it, send digests."""

from __future__ import annotations

import logging

import click
from flask.cli import AppGroup

log = logging.getLogger(__name__)
matching_group = AppGroup("matching", help="The recommender (step 6).")


@matching_group.command("train")
@click.option("--evaluate/--no-evaluate", "with_evaluation", default=True, show_default=True,
              help="Run the offline evaluation and store its figures with the model.")
def train_command(with_evaluation):
    """Fit the recommender on the database and save the artifact in MODEL_DIR."""
    from marketplace.extensions import db, utcnow
    from marketplace.recommendations.training import NothingToTrain, train

    try:
        result = train(db.session, utcnow(), with_evaluation=with_evaluation, echo=click.echo)
    except NothingToTrain as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"model saved: {result.path}")
    if result.report is not None:
        click.echo(result.report.table())


@matching_group.command("evaluate")
def evaluate_command():
    """Print the offline evaluation (time-based split) on the database's data."""
    from marketplace.extensions import db, utcnow
    from marketplace.recommendations.data import load_dataset
    from marketplace.recommendations.training import evaluate_dataset

    dataset = load_dataset(db.session, utcnow())
    click.echo("data: " + ", ".join(f"{k}={v}" for k, v in dataset.counts.items()))
    if not dataset.interactions:
        raise click.ClickException("no interactions to evaluate on")
    click.echo(evaluate_dataset(dataset).table())


@matching_group.command("digest")
def digest_command():
    """Send this week's recommendation digests now (once per organisation and ISO week)."""
    from marketplace.extensions import db, utcnow
    from marketplace.recommendations.operations import send_weekly_digests

    sent = send_weekly_digests(db.session, utcnow())
    db.session.commit()
    click.echo(f"digests sent to {sent} organisations")
