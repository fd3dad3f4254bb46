"""A world for the open-data tests, with personal data that must never be published.

A university lab (the provider; its name is public) has a published SEM, a draft instrument and
an archived one. Four enterprises paid for SEM sessions with vouchers on the 10th-13th of the
month before last (Beijing): three of them in Luzhou (a cell of three enterprises: published),
one in Shangdang (a cell of one: suppressed). One more Luzhou session is paid this month (a month
that has not ended: not published). Every person and organisation other than the provider has
distinctive names, e-mail addresses, phones and addresses (``SECRETS``).

The ledger stamps its transfers with its own clock (``marketplace.ledger.operations.utcnow``);
the world moves that clock to each session's completion time, as if the provider had recorded
the use then.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest

from listings.models import ListingStatus
from marketplace.bookings import operations as bookings
from marketplace.bookings.rules import SHANGHAI
from marketplace.extensions import db, utcnow
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

PROVIDER = "开放数据测试分析中心"
SEM_TITLE = "开放共享场发射扫描电镜"
SECRETS = {  # persona → (display name, e-mail, phone, address)
    "officer": ("机密官员钱多多", "secret.officer@hidden-gov.example", "13900000001", ""),
    "lab": ("机密实验员孙悟空", "secret.lab@hidden-lab.example", "13900000002",
            "长治市机密路2号"),
    "ent1": ("机密企业主周大福", "secret.one@hidden-sme.example", "13900000011",
             "长治市机密路11号"),
    "ent2": ("机密企业主吴小芳", "secret.two@hidden-sme.example", "13900000012",
             "长治市机密路12号"),
    "ent3": ("机密企业主郑三炮", "secret.three@hidden-sme.example", "13900000013",
             "长治市机密路13号"),
    "ent4": ("机密企业主王独行", "secret.four@hidden-sme.example", "13900000014",
             "上党区机密街14号"),
}
ENTERPRISE_NAMES = {f"ent{i}": f"机密受益企业{i}号有限公司" for i in range(1, 5)}
CONTACT = ("机密联系人冯宝宝", "13900000099", "secret.contact@hidden-lab.example")


def secret_strings() -> list[str]:
    values = [v for person in SECRETS.values() for v in person if v]
    return values + list(ENTERPRISE_NAMES.values()) + list(CONTACT) + ["张伟实控人"]


def beijing(day: date, clock: str) -> datetime:
    hours, minutes = map(int, clock.split(":"))
    return datetime.combine(day, time(hours, minutes), SHANGHAI).astimezone(UTC)


def month_before_last(now: datetime | None = None) -> date:
    """The 10th of the month before last (Beijing): an ended month, whatever today is."""
    today = (now or utcnow()).astimezone(SHANGHAI).date()
    first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return (previous - timedelta(days=1)).replace(day=10)


@dataclass
class World:
    officer: object
    lab_user: object
    lab: object
    sem: object
    draft: object
    archived: object
    programme: object
    enterprises: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    sessions: list = field(default_factory=list)
    anchor: date | None = None


def _person(key: str):
    name, email, _phone, _address = SECRETS[key]
    return make_user(email, name=name)


def build_world(monkeypatch: pytest.MonkeyPatch) -> World:
    officer = make_officer(email=SECRETS["officer"][1], name=SECRETS["officer"][0])
    lab_user = _person("lab")
    lab = make_organization(lab_user, kind=OrganizationKind.UNIVERSITY, name_zh=PROVIDER,
                            name_en="Open Data Test Lab", contact_phone=SECRETS["lab"][2],
                            address=SECRETS["lab"][3], actual_controller="张伟实控人")
    anchor = month_before_last()
    published_at = beijing(anchor - timedelta(days=30), "09:00")
    sem = make_instrument(lab, title_zh=SEM_TITLE, title_en="Open shared FE-SEM",
                          contact_name=CONTACT[0], contact_phone=CONTACT[1],
                          contact_email=CONTACT[2], requires_approval=True)
    sem.published_at = published_at
    draft = make_instrument(lab, title_zh="机密草稿仪器", published=False)
    archived = make_instrument(lab, title_zh="已下架的旧仪器")
    archived.published_at = published_at
    archived.status = ListingStatus.ARCHIVED
    programme = make_programme(officer)
    admit(programme, lab, officer=officer)
    world = World(officer, lab_user, lab, sem, draft, archived, programme, anchor=anchor)
    granted_at = beijing(anchor - timedelta(days=20), "10:00")
    for i, key in enumerate(("ent1", "ent2", "ent3", "ent4"), start=1):
        user = _person(key)
        _name, _email, phone, address = SECRETS[key]
        enterprise = make_organization(user, name_zh=ENTERPRISE_NAMES[key],
                                       name_en=f"Secret SME {i}", contact_phone=phone,
                                       address=address, actual_controller=SECRETS[key][0],
                                       district_code="140404" if key == "ent4" else "140403")
        grant(programme, enterprise, 1_000_000, officer=officer, now=granted_at)
        world.enterprises[key], world.users[key] = enterprise, user
    db.session.commit()
    for offset, key in enumerate(("ent1", "ent2", "ent3", "ent4")):
        world.sessions.append(paid_session(world, key, anchor + timedelta(days=offset),
                                           monkeypatch))
    today = utcnow().astimezone(SHANGHAI).date()
    if today.day > 1:  # a session paid this month (its month has not ended)
        world.sessions.append(paid_session(world, "ent1", today - timedelta(days=1), monkeypatch,
                                           clock="14:00"))
    return world


def paid_session(world: World, key: str, day: date, monkeypatch, *, clock: str = "09:00",
                 minutes: int = 60):
    """A one-hour session booked three days ahead, approved, used and paid with vouchers."""
    starts = beijing(day, clock)
    ends = starts + timedelta(hours=1)
    booked_at = starts - timedelta(days=3)
    done_at = ends + timedelta(minutes=30)
    with monkeypatch.context() as patch:
        patch.setattr("marketplace.ledger.operations.utcnow", lambda: booked_at)
        booking = bookings.create_booking(
            world.sem, world.enterprises[key], world.users[key], starts, ends,
            programme=world.programme, purpose="检测", request_key=uuid.uuid4().hex,
            now=booked_at)
        bookings.approve_booking(booking, world.lab_user, booked_at + timedelta(hours=1))
        patch.setattr("marketplace.ledger.operations.utcnow", lambda: done_at)
        bookings.complete_booking(booking, world.lab_user, minutes, "按预约完成",
                                  f"INV-{uuid.uuid4().hex[:8]}", done_at)
    db.session.commit()
    return booking
