"""Training the recommender from the database: ``flask matching train`` and the daily job."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
KEEP_ARTIFACTS = 3  # the newest few stay in MODEL_DIR (a bad model can be rolled back by hand)


class NothingToTrain(Exception):
    pass


@dataclass
class TrainingResult:
    path: Path
    counts: dict
    report: object | None  # matching.evaluate.Report


def evaluate_dataset(dataset, **fit_kwargs):
    """The offline evaluation (time-based split) of ``dataset``."""
    from matching.evaluate import evaluate

    return evaluate(dataset.parties, dataset.items, dataset.interactions,
                    synonyms=dataset.synonyms, neighbours=dataset.neighbours, **fit_kwargs)


def report_dict(report) -> dict:
    method = getattr(report, "as_dict", None)
    if callable(method):
        return method()
    if dataclasses.is_dataclass(report):
        return dataclasses.asdict(report)
    return {"table": report.table()}


def train(session: Session, now: datetime, *, with_evaluation: bool = True,
          echo: Callable[[str], None] = log.info) -> TrainingResult:
    """Fit on the database's listings, organisations and interactions; save the artifact (with
    the evaluation figures in its metadata) in MODEL_DIR and keep the newest KEEP_ARTIFACTS."""
    from marketplace.recommendations.data import load_dataset
    from matching import store
    from matching.model import Recommender

    dataset = load_dataset(session, now)
    counts = dataset.counts
    echo("data: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    if not dataset.items or not dataset.parties:
        raise NothingToTrain("nothing to train on: no open listings or no verified "
                             "organisations (load the demo with `flask demo load`)")
    recommender = Recommender.fit(dataset.parties, dataset.items, dataset.interactions, now=now,
                                  synonyms=dataset.synonyms, neighbours=dataset.neighbours)
    report = None
    if with_evaluation and dataset.interactions:
        try:
            report = evaluate_dataset(dataset)
        except Exception as error:  # too little data to split, say: the model is still useful
            log.warning("evaluation failed: %s", error)
            echo(f"evaluation skipped: {error}")
    if report is not None:
        recommender.metadata["evaluation"] = report_dict(report)
    directory = Path(current_app.config["MODEL_DIR"])
    path = store.save(recommender, directory)
    store.prune(directory, keep=KEEP_ARTIFACTS)
    log.info("recommender trained on %s and saved to %s", counts, path)
    return TrainingResult(path=path, counts=counts, report=report)
