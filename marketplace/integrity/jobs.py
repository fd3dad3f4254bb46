"""The hourly scan, called from the background jobs thread (marketplace/campaigns/jobs.py)."""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 3600
_lock = threading.Lock()
_last: dict[str, float] = {}


def run_due(app, *, force: bool = False) -> dict | None:
    """Scan if the last scan of this process is an hour old (or ``force``); never raises."""
    with _lock:
        now = time.monotonic()
        if not force and "scan" in _last and now - _last["scan"] < INTERVAL_SECONDS:
            return None
        _last["scan"] = now
    from marketplace.extensions import db, utcnow
    from marketplace.integrity.detectors import scan

    with app.app_context():
        try:
            counts = scan(db.session, utcnow())
            db.session.commit()
            return counts
        except Exception:
            db.session.rollback()
            log.exception("integrity scan failed; trying again next hour")
            return None
        finally:
            db.session.remove()
