"""The audit trail: who did what to which record, when, with the state before and after.

Entries are append-only; every officer decision and (from step 3) every money movement adds one in
the same transaction as the change it describes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import UTCDateTime, db, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str] = mapped_column(sa.String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User", lazy="joined")

    __table_args__ = (sa.Index("ix_audit_entries_object", "object_type", "object_id"),)


def record_audit(actor, action: str, obj, *, before=None, after=None, note=None) -> AuditEntry:
    """Add an audit entry for ``obj`` (any model with an ``id``) to the current transaction."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=type(obj).__tablename__,
        object_id=str(obj.id),
        before=before,
        after=after,
        note=note,
    )
    db.session.add(entry)
    return entry
