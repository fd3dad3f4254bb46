"""Shared set-up for booking tests: a lab with an instrument, an SME with voucher quota."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from marketplace.bookings.rules import SHANGHAI
from marketplace.checks import ALL_CHECKS
from marketplace.extensions import db
from marketplace.ledger.queries import verify
from marketplace.organizations.models import OrganizationKind
from tests.factories import (
    admit,
    grant,
    make_instrument,
    make_officer,
    make_organization,
    make_programme,
    make_user,
)


def local(day_offset: int, clock: str, now: datetime | None = None) -> datetime:
    """A Beijing wall-clock time ``day_offset`` days after today, as UTC."""
    now = now or datetime.now(UTC)
    day = now.astimezone(SHANGHAI).date() + timedelta(days=day_offset)
    hours, minutes = map(int, clock.split(":"))
    return datetime.combine(day, time(hours, minutes), SHANGHAI).astimezone(UTC)


@dataclass
class World:
    officer: object
    lab_user: object
    lab: object
    instrument: object
    sme_user: object
    sme: object
    programme: object
    quota: object | None


def make_world(*, quota_fen: int | None = 1_000_000, requires_approval: bool = True,
               rate_fen: int = 60_000, layers=((5000, 10_000_000), (2000, 4_000_000)),
               admitted: bool = True, **instrument) -> World:
    """City 50 % + district 20 % programme; the SME holds ``quota_fen`` of quota."""
    officer = make_officer()
    lab_user = make_user()
    lab = make_organization(lab_user, kind=OrganizationKind.UNIVERSITY, actual_controller="长治学院")
    inst = make_instrument(lab, rate_fen=rate_fen, requires_approval=requires_approval, **instrument)
    sme_user = make_user()
    sme = make_organization(sme_user, actual_controller="张伟")
    programme = make_programme(officer, layers=layers)
    if admitted:
        admit(programme, lab, officer=officer)
    quota = grant(programme, sme, quota_fen, officer=officer) if quota_fen else None
    db.session.commit()
    return World(officer, lab_user, lab, inst, sme_user, sme, programme, quota)


def assert_ledger_balanced() -> None:
    report = verify(db.session, ALL_CHECKS)
    assert report.ok, report.verdict()
