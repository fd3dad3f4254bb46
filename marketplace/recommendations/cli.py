"""``flask matching …``: train the recommender from the database, evaluate it, send digests."""

from __future__ import annotations

import dataclasses
import logging

import click
from flask import current_app
from flask.cli import AppGroup

log = logging.getLogger(__name__)
matching_group = AppGroup("matching", help="The recommender (step 6).")


def _evaluate(dataset, **fit_kwargs):
    """The offline evaluation (matching.evaluate), or None when it is not available."""
    try:
        from matching.evaluate import evaluate
    except ImportError:
        return None
    return evaluate(dataset.parties, dataset.items, dataset.interactions,
                    synonyms=dataset.synonyms, neighbours=dataset.neighbours, **fit_kwargs)


def _report_dict(report) -> dict:
    for name in ("as_dict", "to_dict"):
        method = getattr(report, name, None)
        if callable(method):
            return method()
    if dataclasses.is_dataclass(report):
        return dataclasses.asdict(report)
    return {"table": report.table()}


@matching_group.command("train")
@click.option("--evaluate/--no-evaluate", "with_evaluation", default=True, show_default=True,
              help="Run the offline evaluation and store its figures with the model.")
def train_command(with_evaluation):
    """Fit the recommender on the database and save the artifact in MODEL_DIR."""
    from pathlib import Path

    from marketplace.extensions import db, utcnow
    from marketplace.recommendations.data import load_dataset
    from matching import store
    from matching.model import Recommender

    now = utcnow()
    dataset = load_dataset(db.session, now)
    counts = dataset.counts
    click.echo("data: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    if not dataset.items or not dataset.parties:
        raise click.ClickException("nothing to train on: no open listings or no verified "
                                   "organisations (load the demo with `flask demo load`)")
    recommender = Recommender.fit(dataset.parties, dataset.items, dataset.interactions, now=now,
                                  synonyms=dataset.synonyms, neighbours=dataset.neighbours)
    report = None
    if with_evaluation and dataset.interactions:
        try:
            report = _evaluate(dataset)
        except Exception as error:  # too little data to split, say: the model is still useful
            log.warning("evaluation failed: %s", error)
            click.echo(f"evaluation skipped: {error}")
    if report is not None:
        recommender.metadata["evaluation"] = _report_dict(report)
    path = store.save(recommender, Path(current_app.config["MODEL_DIR"]))
    click.echo(f"model saved: {path}")
    if report is not None:
        click.echo(report.table())


@matching_group.command("evaluate")
def evaluate_command():
    """Print the offline evaluation (time-based split) on the database's data."""
    from marketplace.extensions import db, utcnow
    from marketplace.recommendations.data import load_dataset

    dataset = load_dataset(db.session, utcnow())
    click.echo("data: " + ", ".join(f"{k}={v}" for k, v in dataset.counts.items()))
    if not dataset.interactions:
        raise click.ClickException("no interactions to evaluate on")
    report = _evaluate(dataset)
    if report is None:
        raise click.ClickException("matching.evaluate is not available")
    click.echo(report.table())


@matching_group.command("digest")
def digest_command():
    """Send this week's recommendation digests now (once per organisation and ISO week)."""
    from marketplace.extensions import db, utcnow
    from marketplace.recommendations.operations import send_weekly_digests

    sent = send_weekly_digests(db.session, utcnow())
    db.session.commit()
    click.echo(f"digests sent to {sent} organisations")
