"""Recording refused related-party voucher attempts so that they survive the refusal.

The voucher rules refuse a related party inside the booking's transaction, which the view then
rolls back. ``note_related_party`` therefore only remembers the attempt on the session; the
request's teardown (or, outside a request, the caller through ``write_pending``) writes it in a
transaction of its own after the rollback. One signal per enterprise, provider, programme and
Beijing day (its fingerprint); each distinct attempt (instrument, user and minute) is counted once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from marketplace.extensions import db, utcnow

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
_KEY = "integrity_related_party_attempts"


def note_related_party(enterprise, provider, instrument, programme, now: datetime,
                       user=None) -> None:
    """Remember a refused related-party attempt (written by ``write_pending`` later)."""
    attempt = {"enterprise_id": enterprise.id, "provider_id": provider.id,
               "instrument_id": getattr(instrument, "id", None), "programme_id": programme.id,
               "user_id": getattr(user, "id", None),
               "at": now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")}
    pending = db.session.info.setdefault(_KEY, [])
    if attempt not in pending:
        pending.append(attempt)


def pending_attempts() -> list[dict]:
    return list(db.session.info.get(_KEY, []))


def write_pending() -> int:
    """Write the remembered attempts in a transaction of their own and commit it. Whatever the
    session still had uncommitted is rolled back first (a refused request's work)."""
    pending = db.session.info.pop(_KEY, [])
    if not pending:
        return 0
    db.session.rollback()
    written = 0
    for attempt in pending:
        written += record_attempt(attempt)
    db.session.commit()
    return written


def record_attempt(attempt: dict) -> int:
    """Store one attempt (see the module docstring); the caller commits. 1 if new, else 0."""
    from marketplace.integrity.models import RELATED_PARTY, Signal

    day = attempt["at"][:10]
    fingerprint = (f"{RELATED_PARTY}:enterprise:{attempt['enterprise_id']}:provider:"
                   f"{attempt['provider_id']}:programme:{attempt['programme_id']}:{day}")
    records = [["organization", attempt["enterprise_id"]], ["organization", attempt["provider_id"]],
               ["programme", attempt["programme_id"]]]
    if attempt["instrument_id"]:
        records.append(["instrument", attempt["instrument_id"]])
    seen = {"instrument_id": attempt["instrument_id"], "user_id": attempt["user_id"],
            "at": attempt["at"]}
    signal = db.session.scalars(sa.select(Signal).where(Signal.fingerprint == fingerprint)
                                .with_for_update()).one_or_none()
    if signal is None:
        signal = Signal(kind=RELATED_PARTY, fingerprint=fingerprint,
                        organization_id=attempt["enterprise_id"],
                        organization_ids=[attempt["enterprise_id"], attempt["provider_id"]],
                        records=records, data={"day": day, "attempts": [seen]},
                        detected_at=utcnow(), updated_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(signal)
                db.session.flush()
            return 1
        except sa.exc.IntegrityError:  # a twin request wrote it first
            signal = db.session.scalars(sa.select(Signal).where(
                Signal.fingerprint == fingerprint)).one()
    attempts = list(signal.data.get("attempts", []))
    if seen in attempts:
        return 0
    signal.data = {**signal.data, "attempts": [*attempts, seen]}
    if signal.records != records and [r for r in records if r not in signal.records]:
        signal.records = [*signal.records, *(r for r in records if r not in signal.records)]
    signal.updated_at = utcnow()
    return 1


def teardown(_exception=None) -> None:
    """Flask ``teardown_request``: write what a refused request remembered. Not when the context
    ending is the one ``external_url`` pushed to build a mail link outside a request (a CLI
    command or job in the middle of its own transaction, which the rollback here would undo)."""
    from marketplace.urls import is_link_context

    if not db.session.info.get(_KEY) or is_link_context():
        return
    try:
        write_pending()
    except Exception:  # never turn a page into an error because the record failed
        db.session.rollback()
        log.exception("could not record a related-party voucher attempt")
