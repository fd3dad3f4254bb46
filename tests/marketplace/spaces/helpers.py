"""Builders for the space leasing tests (and the security rows): a published space of a park
(the landlord) and a verified enterprise that wants to lease it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from marketplace.extensions import db, utcnow
from marketplace.organizations.models import OrganizationKind
from tests.factories import make_organization, make_user

_counter = itertools.count(1)


def make_space(organization, *, area_m2: int = 2000, rent_fen: int = 2_000,
               published: bool = True, **overrides):
    """A published factory building: ``area_m2`` free, ¥20 per m² per month by default."""
    from listings.models import ListingStatus, Space, SpaceType

    n = next(_counter)
    values = {
        "organization": organization, "title_zh": f"标准厂房{n}号", "title_en": f"Factory {n}",
        "summary_zh": "经开区标准厂房", "district_code": "140403", "address": "长治经开区太行北路",
        "space_type": SpaceType.FACTORY, "area_m2": area_m2, "area_free_m2": area_m2,
        "rent_fen_per_m2_month": rent_fen, "min_lease_months": 6, "park_name": "长治经开区",
        "status": ListingStatus.PUBLISHED if published else ListingStatus.DRAFT,
    }
    values.update(overrides)
    space = Space(**values)
    if published:
        space.published_at = utcnow()
    db.session.add(space)
    db.session.flush()
    return space


@dataclass
class Leasing:
    landlord: object  # owner of the park
    landlord_org: object
    tenant: object  # owner of the enterprise
    tenant_org: object
    space: object
    outsider: object  # a member of another verified enterprise


def make_leasing(*, area_m2: int = 2000, user_factory=make_user, **space_overrides) -> Leasing:
    landlord, tenant, outsider = user_factory(), user_factory(), user_factory()
    park = make_organization(landlord, kind=OrganizationKind.PARK)
    enterprise = make_organization(tenant)
    make_organization(outsider)
    space = make_space(park, area_m2=area_m2, **space_overrides)
    return Leasing(landlord, park, tenant, enterprise, space, outsider)


def later(days: int = 3, hour: int = 10):
    """A whole hour in Beijing time ``days`` from now, as an aware datetime."""
    from datetime import datetime, time

    from marketplace.bookings.rules import SHANGHAI, local

    day = local(utcnow()).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), SHANGHAI)


def start_in(days: int = 30) -> date:
    from marketplace.bookings.rules import local

    return local(utcnow()).date() + timedelta(days=days)
