"""Builders and probes shared by the security tests.

Users made here get a cheap PBKDF2 hash (one iteration) of ``PASSWORD`` so that hundreds of
sign-ins stay fast; the password check still runs through Werkzeug's ``check_password_hash`` and
the real login view. Tests about hashing parameters belong elsewhere.
"""

from __future__ import annotations

import copy
import html
import itertools
import re
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from marketplace.auth.models import SiteRole, User
from marketplace.extensions import db
from marketplace.organizations.models import VerificationStatus
from tests.conftest import sorted_tables
from tests.factories import make_organization, unique_credit_code

PASSWORD = "quiet lantern orchard 4721"
NEW_PASSWORD = "violet harbour kestrel 9093"
PERSONAS = ("anonymous", "plain", "member_a", "owner_a", "other_org", "officer", "admin")

_counter = itertools.count(1)

# App bugs outside marketplace/security.py that some tests document with xfail(strict=True).
CHANGE_PASSWORD_BUG = (
    "POST /auth/password answers 500: auth/views.py passes the current_user proxy to "
    "operations.change_password, whose record_audit(user, ..., user) reads "
    "type(obj).__tablename__ on the LocalProxy (marketplace/audit.py) -> AttributeError"
)


@cache
def cheap_hash() -> str:
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")


def quick_user(
    email: str | None = None,
    *,
    role: SiteRole = SiteRole.USER,
    name: str | None = None,
    **overrides,
) -> User:
    """Like tests.factories.make_user, with a precomputed cheap hash of PASSWORD."""
    n = next(_counter)
    user = User(
        email=(email or f"sec{n}@example.cn").lower(),
        display_name=name or f"安全{n}",
        site_role=role,
        password_hash=cheap_hash(),
        **overrides,
    )
    db.session.add(user)
    db.session.flush()
    return user


# ---------------------------------------------------------------------------------------------
# HTML probes
_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
_LEAD = re.compile(r'<p class="lead">(.*?)</p>', re.S)


def csrf_token_from(page: str) -> str:
    match = _CSRF_INPUT.search(page)
    assert match, "no csrf_token hidden input on the page"
    return html.unescape(match.group(1))


def error_page_message(page: str) -> str | None:
    """The message paragraph of templates/errors/error.html, unescaped."""
    if "error-page" not in page:
        return None
    match = _LEAD.search(page)
    return html.unescape(match.group(1)).strip() if match else None


def field_has_error(page: str, field_id: str) -> bool:
    """Whether the form control with this id is rendered invalid (see templates/_macros.html)."""
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        if re.search(rf'\bid="{re.escape(field_id)}"', tag):
            return "is-invalid" in tag
    return False


def has_form_error(page: str) -> bool:
    return "is-invalid" in page or "alert-danger" in page


def location_path(response) -> str:
    location = response.headers.get("Location", "")
    parts = urlsplit(location)
    return parts.path


def redirects_to_login(response) -> bool:
    return response.status_code == 302 and location_path(response) == "/auth/login"


# ---------------------------------------------------------------------------------------------
# signing in through the real login view
def sign_in(
    client,
    email: str,
    password: str = PASSWORD,
    *,
    remember: bool = False,
    next_url: str | None = None,
    expect: int | None = 302,
):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    if current_app.config["WTF_CSRF_ENABLED"]:
        data["csrf_token"] = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    url = "/auth/login"
    if next_url is not None:
        from urllib.parse import quote

        url += "?next=" + quote(next_url, safe="")
    response = client.post(url, data=data)
    if expect is not None:
        assert response.status_code == expect, response.get_data(as_text=True)[:400]
    return response


# ---------------------------------------------------------------------------------------------
# database probes (a separate connection: what is committed, not the test session's cache)
def snapshot(tables: tuple[str, ...] | None = None) -> dict[str, str]:
    """A fingerprint of every table's committed contents (or only of ``tables``), read in one
    query."""
    with db.engine.connect() as conn:
        row = conn.exec_driver_sql(_snapshot_sql(conn.dialect.name, tables)).one()
    names = [t.name for t in sorted_tables() if tables is None or t.name in tables]
    return dict(zip(names, row, strict=True))


@cache
def _snapshot_sql(dialect: str, tables: tuple[str, ...] | None = None) -> str:
    parts = []
    for table in sorted_tables():
        if tables is not None and table.name not in tables:
            continue
        name = f'"{table.name}"'
        if dialect == "postgresql":
            parts.append(
                f"(SELECT coalesce(string_agg(x::text, '|' ORDER BY x::text), '') FROM {name} x)"
            )
        else:
            columns = "||','||".join(f'quote("{c.name}")' for c in table.columns)
            parts.append(
                f"(SELECT coalesce(group_concat(r, '|'), '') FROM "
                f"(SELECT {columns} AS r FROM {name} ORDER BY r))"
            )
    return "SELECT " + ", ".join(parts)


def snapshot_rows() -> dict[str, list[tuple]]:
    """Every table's committed rows, by primary key (for tests that read values)."""
    result = {}
    with db.engine.connect() as conn:
        for table in sorted_tables():
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            result[table.name] = [tuple(row) for row in rows]
    return result


def row_counts() -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in sorted_tables()
        }


def diff_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def clear_tables() -> None:
    """Empty every table (tests.conftest._truncate_all: only the tables with rows, the ledger's
    append-only triggers switched off for its own transaction)."""
    from tests.conftest import _truncate_all

    db.session.remove()
    _truncate_all()


# ---------------------------------------------------------------------------------------------
# the world the authorization tests walk: org A (the object owner's org) and org B
@dataclass
class World:
    users: dict[str, tuple[int, str]] = field(default_factory=dict)  # persona -> (id, email)
    target_id: int = 0
    target_email: str = ""
    org_a_id: int = 0
    org_a_credit_code: str = ""
    org_b_id: int = 0
    org_b_credit_code: str = ""
    membership_member_a: int = 0
    membership_owner_a: int = 0
    membership_org_b: int = 0
    reset_token: str = ""
    listing_a: int = 0  # an instrument of org A (status chosen by the row)
    photo_a: int = 0
    listing_b: int = 0  # a published instrument of org B
    photo_b: int = 0
    clients: dict = field(default_factory=dict)  # persona -> signed-in client
    session_tokens: dict = field(default_factory=dict)  # persona -> raw token (the matrix's worlds)
    # the step-3 world (build_world(step3=True)); see build_step3
    programmes: dict[str, int] = field(default_factory=dict)  # open, fresh, draft, closed
    layers: list[int] = field(default_factory=list)  # the open programme's funding layers
    applications: dict[str, int] = field(default_factory=dict)  # submitted, granted
    admission: int = 0  # org A's (admitted) admission to the open programme
    bookings: dict[str, int] = field(default_factory=dict)  # by state, see build_step3
    request_key: str = ""  # the key the requested booking was made with
    qualification: int = 0  # other_org's user trained on listing_a
    calendar_token: str = ""  # other_org's calendar feed
    batches: dict[str, int] = field(default_factory=dict)  # draft, no_invoice, approved
    items: dict[str, int] = field(default_factory=dict)  # an item of each batch, by batch
    # step 4: what a row's ``extra`` builder made (payments, campaigns, pledges), by name
    extra: dict = field(default_factory=dict)

    def uid(self, persona: str) -> int:
        return self.users[persona][0]

    def email(self, persona: str) -> str:
        return self.users[persona][1]


def build_world(
    *,
    org_a_status: VerificationStatus = VerificationStatus.VERIFIED,
    target_active: bool = True,
    listing_status=None,
    step3: bool = False,
) -> World:
    """Users for every persona, org A (owner + member) and org B (its owner is 'other_org');
    with ``listing_status``, an instrument with a photo for each organisation too; with
    ``step3``, org A is a university lab with a bookable instrument and org B an enterprise
    with vouchers, bookings and reimbursement batches (build_step3)."""
    from marketplace.auth.operations import make_reset_token
    from marketplace.organizations.models import OrganizationKind

    if step3 and (org_a_status, target_active) in _STEP3_WORLDS:
        saved, rows = _STEP3_WORLDS[org_a_status, target_active]
        restore_rows(rows)
        return copy.deepcopy(saved)
    w = World()

    def user(role: SiteRole = SiteRole.USER, **overrides) -> User:
        n = next(_counter)
        made = User(
            email=f"sec{n}@example.cn",
            display_name=f"安全{n}",
            site_role=role,
            password_hash=cheap_hash(),
            **overrides,
        )
        db.session.add(made)
        return made

    made = {
        "plain": user(),
        "member_a": user(),
        "owner_a": user(),
        "other_org": user(),
        "officer": user(SiteRole.OFFICER),
        "admin": user(SiteRole.ADMIN),
    }
    target = user(is_active=target_active)
    db.session.flush()
    kind_a = OrganizationKind.UNIVERSITY if step3 else OrganizationKind.ENTERPRISE
    org_a = make_organization(
        made["owner_a"], status=org_a_status, kind=kind_a, members=(made["member_a"],)
    )
    org_b = make_organization(made["other_org"])
    if step3:
        assert listing_status is None, "the step-3 world has its own instrument"
        build_step3(w, made, org_a, org_b)
    if listing_status is not None:  # one commit for both, so the search index is written once
        listing_a, photo_a = _make_listing(org_a, made["owner_a"], listing_status)
        listing_b, photo_b = _make_listing(org_b, made["other_org"], "published")
    db.session.commit()
    w.users = {persona: (u.id, u.email) for persona, u in made.items()}
    w.target_id, w.target_email = target.id, target.email
    w.org_a_id, w.org_a_credit_code = org_a.id, org_a.credit_code
    w.org_b_id, w.org_b_credit_code = org_b.id, org_b.credit_code
    for m in org_a.memberships:
        if m.user_id == made["member_a"].id:
            w.membership_member_a = m.id
        else:
            w.membership_owner_a = m.id
    w.membership_org_b = org_b.memberships[0].id
    w.reset_token = make_reset_token(target)
    if listing_status is not None:
        w.listing_a, w.photo_a = listing_a.id, photo_a.id
        w.listing_b, w.photo_b = listing_b.id, photo_b.id
    if step3:
        _STEP3_WORLDS[org_a_status, target_active] = (copy.deepcopy(w), dump_rows())
    return w


# The step-3 world costs about half a second to build through the operations, and the matrix
# needs it again after every cell that changed the database: it is built once per test session
# and later restored from its committed rows (the search index is not restored: no step-3
# route reads it).
_STEP3_WORLDS: dict[tuple, tuple[World, dict[str, list[dict]]]] = {}


def dump_rows() -> dict[str, list[dict]]:
    """Every table's committed rows, as column -> value."""
    with db.engine.connect() as conn:
        return {
            table.name: [
                dict(row._mapping)
                for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in sorted_tables()
        }


def restore_rows(rows: dict[str, list[dict]]) -> None:
    """Insert ``dump_rows()`` into the emptied tables (same ids; PostgreSQL's sequences are moved
    past them). Inserts pass the ledger's append-only guards; the balances are stored values."""
    db.session.remove()
    with db.engine.begin() as conn:
        for table in sorted_tables():
            if rows[table.name]:
                conn.execute(table.insert(), rows[table.name])
        if conn.dialect.name != "postgresql":
            return
        for table in sorted_tables():
            columns = [c for c in table.primary_key.columns if c.autoincrement is not False]
            if len(columns) == 1 and rows[table.name] and isinstance(columns[0].type, sa.Integer):
                name, column = table.name, columns[0].name
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{column}'), "
                    f'(SELECT max("{column}") FROM "{name}"))'
                )


ALL_DAY = {str(day): [["00:00", "24:00"]] for day in range(7)}
QUOTA_FEN = 1_000_000  # org B's granted vouchers in the open programme


def local_day(offset: int):
    """Today in Beijing, plus ``offset`` days (the booking forms take local dates)."""
    from datetime import timedelta

    from marketplace.bookings import rules
    from marketplace.extensions import utcnow

    return rules.local(utcnow()).date() + timedelta(days=offset)


def build_step3(w: World, made: dict, org_a, org_b) -> None:
    """The step-3 world, through the real operations (``now`` moved back for the past).

    Org A (a verified university: owner_a, member_a) owns ``listing_a``, a published instrument
    open all day, no lead time, bookings need approval. The officer runs four programmes
    (``programmes``): ``open`` (org A admitted; org B granted QUOTA_FEN and has one more
    application ``submitted``), ``fresh`` (open, nobody admitted or applying), ``draft`` and
    ``closed``. Org B (a verified enterprise: other_org) booked listing_a, paying with vouchers
    (``bookings``): ``requested`` (in two days), ``approved`` (in three), ``started`` (approved,
    yesterday: usage or a no-show can be recorded), ``owed`` (completed a week ago, in no batch,
    its own share not yet paid); and three more, completed and collected in reimbursement
    batches (``batches``): ``draft`` (invoice numbers complete), ``no_invoice`` (draft, an item
    without one) and ``approved``. other_org is trained on listing_a (``qualification``) and has
    a calendar feed (``calendar_token``).
    """
    from datetime import timedelta

    from marketplace.bookings import operations as bookings
    from marketplace.bookings import rules
    from marketplace.extensions import utcnow
    from marketplace.settlement import operations as settlement
    from marketplace.vouchers import operations as vouchers
    from tests.factories import admit, grant, make_instrument, make_programme

    now = utcnow()
    officer, provider, booker = made["officer"], made["owner_a"], made["other_org"]
    instrument = make_instrument(
        org_a,
        rate_fen=45_000,
        opening_hours=ALL_DAY,
        min_booking_minutes=60,
        lead_time_hours=0,
        requires_approval=True,
        title_zh="场发射扫描电镜",
        title_en="Field-emission SEM",
    )
    programme = make_programme(officer, name_zh="矩阵测试创新券")
    programmes = {
        "open": programme,
        "fresh": make_programme(officer, name_zh="新开放的创新券"),
        "draft": make_programme(officer, open_=False, name_zh="草稿创新券"),
        "closed": make_programme(officer, name_zh="已关闭的创新券"),
    }
    vouchers.close_programme(programmes["closed"], officer)
    admission = admit(programme, org_a, officer=officer)
    quota = grant(programme, org_b, QUOTA_FEN, officer=officer)
    submitted = vouchers.apply_for_quota(programme, org_b, booker, 500_000, "扫描电镜检测", now)

    def at(day: int, clock: str):
        return rules.at_local(local_day(day), clock)

    def book(day: int, key: str, booked_at, *, approve=True, complete=False, invoice="INV-1"):
        start = at(day, "09:00")
        booking = bookings.create_booking(
            instrument,
            org_b,
            booker,
            start,
            start + timedelta(hours=1),
            programme=programme,
            purpose="断口分析",
            request_key=f"matrix:{key}",
            now=booked_at,
        )
        if approve:
            bookings.approve_booking(booking, provider, booked_at)
        if complete:
            bookings.complete_booking(
                booking, provider, 60, "按预约完成", invoice, start + timedelta(hours=2)
            )
        return booking

    def batch(key: str):
        made_batch = settlement.create_batch(programme, officer, local_day(-30), local_day(0), now)
        w.batches[key], w.items[key] = made_batch.id, made_batch.items[0].id
        return made_batch

    made_bookings = {
        "requested": book(2, "requested", now, approve=False),
        "approved": book(3, "approved", now),
        "started": book(-1, "started", now - timedelta(days=3)),
    }
    book(-10, "batched", now - timedelta(days=13), complete=True)
    batch("draft")
    book(-9, "no-invoice", now - timedelta(days=12), complete=True, invoice=None)
    batch("no_invoice")
    book(-8, "approved-batch", now - timedelta(days=11), complete=True)
    settlement.approve_batch(batch("approved"), officer, now)
    made_bookings["owed"] = book(-7, "owed", now - timedelta(days=10), complete=True)
    qualification = bookings.grant_qualification(instrument, booker.email, provider, "已培训")
    w.calendar_token = bookings.calendar_token(booker)
    db.session.flush()

    w.listing_a = instrument.id
    w.programmes = {name: p.id for name, p in programmes.items()}
    w.layers = [layer.id for layer in programme.layers]
    w.applications = {"submitted": submitted.id, "granted": quota.application_id}
    w.admission = admission.id
    w.bookings = {state: b.id for state, b in made_bookings.items()}
    w.request_key = made_bookings["requested"].request_key
    w.qualification = qualification.id


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _make_listing(organization, owner, status):
    import io

    from listings.models import Instrument, InstrumentCategory, ListingStatus
    from marketplace.extensions import utcnow
    from marketplace.publishing.operations import add_photo

    status = ListingStatus(status)
    listing = Instrument(
        organization=organization,
        created_by_id=owner.id,
        status=status,
        title_zh="场发射扫描电镜",
        title_en="Field-emission SEM",
        summary_zh="断口分析",
        district_code="140403",
        instrument_category=InstrumentCategory.ELECTRON_MICROSCOPY,
        rate_internal_fen=20000,
        rate_external_fen=45000,
        published_at=utcnow() if status == ListingStatus.PUBLISHED else None,
    )
    db.session.add(listing)
    db.session.flush()
    photo = add_photo(listing, owner, io.BytesIO(PNG), "正面")
    return listing, photo


def instrument_form(organization_id: int, **overrides) -> dict:
    """A valid publishing form for an instrument (as in tests/marketplace/publishing)."""
    data = {
        "organization_id": str(organization_id),
        "title_zh": "冷场发射扫描电镜",
        "title_en": "Cold-field SEM",
        "summary_zh": "形貌观察",
        "summary_en": "Imaging",
        "description": "日立 SU8010",
        "tags": "SEM, 电镜",
        "district_code": "140403",
        "address": "城北东街73号",
        "contact_name": "李老师",
        "contact_phone": "0355-1234567",
        "contact_email": "lab@example.cn",
        "instrument_category": "electron_microscopy",
        "manufacturer": "Hitachi",
        "model_name": "SU8010",
        "year_made": "2019",
        "capabilities": "二次电子像",
        "sample_requirements": "干燥导电",
        "lab_location": "理科楼101",
        "rate_internal_fen": "200",
        "rate_external_fen": "450.50",
        "min_booking_minutes": "60",
        "max_booking_minutes": "480",
        "hours_0": "08:30-12:00, 14:00-17:30",
        "hours_1": "",
        "hours_2": "",
        "hours_3": "",
        "hours_4": "",
        "hours_5": "",
        "hours_6": "",
        "closed_dates": "2027-02-06",
        "accepts_vouchers": "y",
    }
    data.update(overrides)
    return data


def sign_in_personas(world: World, make_client) -> None:
    world.clients = {"anonymous": make_client()}
    for persona, (_, email) in world.users.items():
        client = make_client()
        sign_in(client, email)
        world.clients[persona] = client


def mint_session(client, user_id: int) -> None:
    """Sign a client in without the login form: what auth.views._sign_in does, minus HTTP.

    For tests that need many signed-in clients; the login view itself is exercised through
    ``sign_in`` in the session, CSRF, rate-limit and open-redirect tests.
    """
    from marketplace.auth.operations import start_session

    token = start_session(db.session.get(User, user_id), remember=False)
    db.session.commit()
    set_session_cookie(client, token)


def set_session_cookie(client, token: str) -> None:
    """Give the client the session cookie the login view sets for the session ``token``."""
    with client.session_transaction() as sess:
        sess.clear()
        sess["_user_id"] = token
        sess["_fresh"] = True


def organization_form(credit_code: str | None = None, **overrides) -> dict:
    data = {
        "name_zh": "长治矩阵测试有限公司",
        "name_en": "Matrix Test Ltd",
        "credit_code": credit_code or unique_credit_code(),
        "kind": "enterprise",
        "industry": "C",
        "district_code": "140403",
        "size": "small",
        "description": "用于权限矩阵测试",
        "needs": "",
        "actual_controller": "",
        "address": "",
        "contact_phone": "",
        "website": "",
    }
    data.update(overrides)
    return data
