"""The recommender's scheduled work in the embedded default, run by the jobs thread
(marketplace/campaigns/jobs.py) each round but at most once an hour per process:

- the weekly digest, from Monday 08:00 Beijing time on (a week the app was down on Monday is sent
  when it is up again; ``send_weekly_digests`` sends each organisation one digest per ISO week,
  so several processes are harmless);
- retraining when the newest artifact is older than MATCHING_RETRAIN_HOURS (0 = never; then run
  ``flask matching train`` from cron). One process trains at a time: the others find the lock
  file in MODEL_DIR taken and skip. Every process picks the new artifact up by itself.
"""

from __future__ import annotations

import fcntl
import logging
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)
BEIJING = ZoneInfo("Asia/Shanghai")
CHECK_EVERY_SECONDS = 3600
DIGEST_HOUR = 8  # Monday, Beijing time
_last_check: dict[int, float] = {}


def digest_due(now: datetime) -> bool:
    """From Monday 08:00 Beijing time to the end of the ISO week."""
    local = now.astimezone(BEIJING)
    return local.isoweekday() > 1 or local.hour >= DIGEST_HOUR


def retrain_due(model_dir: Path, now: datetime, hours: float) -> bool:
    from matching import store

    if hours <= 0:
        return False
    latest = store.latest(model_dir)
    if latest is None:
        return True
    return now.timestamp() - latest.stat().st_mtime >= hours * 3600


def run_due(app, *, force: bool = False) -> dict:
    """Send digests and retrain when due; returns what was done (for the log and the tests)."""
    key = id(app)
    if not force and time.monotonic() - _last_check.get(key, -CHECK_EVERY_SECONDS) \
            < CHECK_EVERY_SECONDS:
        return {}
    _last_check[key] = time.monotonic()
    done: dict = {}
    with app.app_context():
        from marketplace.extensions import db, utcnow

        now = utcnow()
        if digest_due(now):
            try:
                from marketplace.recommendations.operations import send_weekly_digests

                done["digests"] = send_weekly_digests(db.session, now)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("weekly digests failed; trying again in an hour")
            finally:
                db.session.remove()
        model_dir = Path(app.config["MODEL_DIR"])
        if retrain_due(model_dir, now, float(app.config.get("MATCHING_RETRAIN_HOURS") or 0)):
            done["trained"] = _train_locked(model_dir, now)
    return done


def _train_locked(model_dir: Path, now: datetime) -> str | None:
    from marketplace.extensions import db
    from marketplace.recommendations.training import NothingToTrain, train

    model_dir.mkdir(parents=True, exist_ok=True)
    with open(model_dir / ".training.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another process is training the recommender")
            return None
        try:
            return str(train(db.session, now, with_evaluation=True).path)
        except NothingToTrain as error:
            log.info("recommender not retrained: %s", error)
            return None
        except Exception:
            log.exception("retraining the recommender failed; the current model stays")
            return None
        finally:
            db.session.rollback()
            db.session.remove()
            fcntl.flock(lock, fcntl.LOCK_UN)


__all__ = ["digest_due", "retrain_due", "run_due"]
