"""S1: function- and object-level authorization over every route (ASVS 5.0 V8.2.1–8.2.3, 8.3.1).

One row per (endpoint, method, variant); seven personas per row. Expected cells:

- ``200``/``302``/``400``/``401``/``403``/``404``/``405``/``409``: the status code;
- ``L``: 302 to the login page (``login_required`` for an anonymous visitor);
- a trailing ``!``: the request must change the database (the allowed action really happened);
  every other cell must leave the database exactly as it was (denials, and every GET).

Object URLs point at org A (owner ``owner_a``, member ``member_a``) and its instrument listing;
``other_org`` owns org B (and its listing). Admin routes act on a separate ``target`` account.
Personas are signed in by minting a session row (helpers.mint_session); the login form itself is
covered by the session, CSRF and open-redirect tests. CSRF is off here (test_csrf.py covers it).
A new route fails ``test_matrix_covers_every_route`` until it gets rows here; a world is rebuilt
after every cell that changed the database, so each cell starts from the same state.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from marketplace.organizations.models import VerificationStatus
from tests.security.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    PERSONAS,
    PNG,
    World,
    build_world,
    clear_tables,
    diff_tables,
    instrument_form,
    location_path,
    mint_session,
    organization_form,
    sign_in_personas,
    snapshot,
)

PENDING = VerificationStatus.PENDING
VERIFIED = VerificationStatus.VERIFIED
REJECTED = VerificationStatus.REJECTED
PUB, DRAFT, ARCHIVED = "published", "draft", "archived"  # listing states
MISSING = 999_999
DENIALS = {"L", "400", "401", "403", "404", "405", "409"}


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    variant: str
    expect: str  # seven cells in PERSONAS order
    url: Callable[[World], str]
    data: Callable[[World], dict] | None = None
    org_a_status: VerificationStatus = VERIFIED
    target_active: bool = True
    listing_status: str | None = None  # builds an instrument (with a photo) for orgs A and B

    @property
    def id(self) -> str:
        return f"{self.endpoint}-{self.method}" + (f"-{self.variant}" if self.variant else "")

    def cells(self) -> dict[str, str]:
        tokens = self.expect.split()
        assert len(tokens) == len(PERSONAS), self.id
        return dict(zip(PERSONAS, tokens, strict=True))


def org_a(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/organizations/{w.org_a_id}{suffix}"


def office_org(suffix: str = "", missing: bool = False) -> Callable[[World], str]:
    return lambda w: f"/office/organizations/{MISSING if missing else w.org_a_id}{suffix}"


def office_user(suffix: str, who: str = "target") -> Callable[[World], str]:
    def url(w: World) -> str:
        user_id = {"target": w.target_id, "missing": MISSING}.get(who) or w.uid(who)
        return f"/office/users/{user_id}{suffix}"

    return url


def fixed(path: str) -> Callable[[World], str]:
    return lambda w: path


def listing(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/listings/{w.listing_a}{suffix}"


def photo_upload(w: World) -> dict:
    return {"photo": (io.BytesIO(PNG), "lab.png"), "caption": "实验室"}


ALL = lambda code: " ".join([code] * len(PERSONAS))  # noqa: E731
SIGNED_IN = lambda anon, code: " ".join([anon] + [code] * (len(PERSONAS) - 1))  # noqa: E731

# fmt: off
#                                                  anon  plain memA ownA  other offcr admin
ROWS: list[Row] = [
    # --- site pages and JSON ---------------------------------------------------------------
    Row("main.index", "GET", "", ALL("200"), fixed("/")),
    Row("main.healthz", "GET", "", ALL("200"), fixed("/healthz")),
    Row("main.favicon", "GET", "", ALL("200"), fixed("/favicon.ico")),
    Row("main.dashboard", "GET", "", SIGNED_IN("L", "200"), fixed("/dashboard")),
    Row("main.set_language", "GET", "", ALL("405"), fixed("/language")),
    Row("main.set_language", "POST", "", SIGNED_IN("302", "302!"), fixed("/language"),
        lambda w: {"lang": "en", "next": "/"}),
    Row("api.districts", "GET", "", ALL("200"), fixed("/api/v1/districts")),
    Row("api.me", "GET", "", SIGNED_IN("401", "200"), fixed("/api/v1/me")),
    Row("api.organization", "GET", "verified", ALL("200"),
        lambda w: f"/api/v1/organizations/{w.org_a_id}"),
    Row("api.organization", "GET", "pending", "404  404  200  200  404  200  200",
        lambda w: f"/api/v1/organizations/{w.org_a_id}", org_a_status=PENDING),
    Row("api.organization", "GET", "missing", ALL("404"),
        fixed(f"/api/v1/organizations/{MISSING}")),
    # --- accounts ----------------------------------------------------------------------------
    Row("auth.login", "GET", "", SIGNED_IN("200", "302"), fixed("/auth/login")),
    Row("auth.login", "POST", "", SIGNED_IN("302!", "302"), fixed("/auth/login"),
        lambda w: {"email": w.target_email, "password": PASSWORD}),
    Row("auth.logout", "GET", "", ALL("405"), fixed("/auth/logout")),
    Row("auth.logout", "POST", "", SIGNED_IN("302", "302!"), fixed("/auth/logout")),
    Row("auth.register", "GET", "", SIGNED_IN("200", "302"), fixed("/auth/register")),
    Row("auth.register", "POST", "", SIGNED_IN("302!", "302"), fixed("/auth/register"),
        lambda w: {"email": "newcomer@example.cn", "display_name": "新用户",
                   "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    Row("auth.account", "GET", "", SIGNED_IN("L", "200"), fixed("/auth/account")),
    Row("auth.revoke_other_sessions", "GET", "", ALL("405"), fixed("/auth/sessions/revoke-others")),
    Row("auth.revoke_other_sessions", "POST", "", SIGNED_IN("L", "302"),
        fixed("/auth/sessions/revoke-others")),
    Row("auth.change_password", "GET", "", SIGNED_IN("L", "200"), fixed("/auth/password")),
    Row("auth.change_password", "POST", "", SIGNED_IN("L", "302!"), fixed("/auth/password"),
        lambda w: {"current_password": PASSWORD, "password": NEW_PASSWORD,
                   "confirm": NEW_PASSWORD}),
    Row("auth.request_reset", "GET", "", ALL("200"), fixed("/auth/reset")),
    Row("auth.request_reset", "POST", "", ALL("302!"), fixed("/auth/reset"),
        lambda w: {"email": w.target_email}),
    Row("auth.reset_password", "GET", "valid-token", ALL("200"),
        lambda w: f"/auth/reset/{w.reset_token}"),
    Row("auth.reset_password", "GET", "bad-token", ALL("400"), fixed("/auth/reset/not-a-token")),
    # Possession of the e-mailed token is the authority, whoever is signed in.
    Row("auth.reset_password", "POST", "valid-token", ALL("302!"),
        lambda w: f"/auth/reset/{w.reset_token}",
        lambda w: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    Row("auth.reset_password", "POST", "bad-token", ALL("400"), fixed("/auth/reset/not-a-token"),
        lambda w: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    # --- organisations -----------------------------------------------------------------------
    Row("organizations.index", "GET", "", ALL("200"), fixed("/organizations/")),
    Row("organizations.create", "GET", "", SIGNED_IN("L", "200"), fixed("/organizations/new")),
    Row("organizations.create", "POST", "", SIGNED_IN("L", "302!"), fixed("/organizations/new"),
        lambda w: organization_form()),
    Row("organizations.show", "GET", "verified", ALL("200"), org_a()),
    Row("organizations.show", "GET", "pending", "404  404  200  200  404  200  200", org_a(),
        org_a_status=PENDING),
    Row("organizations.show", "GET", "rejected", "404  404  200  200  404  200  200", org_a(),
        org_a_status=REJECTED),
    Row("organizations.show", "GET", "missing", ALL("404"), fixed(f"/organizations/{MISSING}")),
    Row("organizations.edit", "GET", "verified", "L    403  403  200  403  403  200",
        org_a("/edit")),
    Row("organizations.edit", "GET", "pending", "L    404  403  200  404  403  200",
        org_a("/edit"), org_a_status=PENDING),
    Row("organizations.edit", "POST", "verified", "L    403  403  302! 403  403  302!",
        org_a("/edit"), lambda w: organization_form(w.org_a_credit_code, description="改过了")),
    Row("organizations.edit", "POST", "pending", "L    404  403  302! 404  403  302!",
        org_a("/edit"), lambda w: organization_form(w.org_a_credit_code, description="改过了"),
        org_a_status=PENDING),
    Row("organizations.members", "GET", "verified", "L    404  200  200  404  200  200",
        org_a("/members")),
    Row("organizations.members", "GET", "pending", "L    404  200  200  404  200  200",
        org_a("/members"), org_a_status=PENDING),
    Row("organizations.members", "POST", "verified", "L    404  403  302! 404  403  403",
        org_a("/members"), lambda w: {"email": w.email("plain"), "role": "member"}),
    Row("organizations.members", "POST", "pending", "L    404  403  302! 404  403  403",
        org_a("/members"), lambda w: {"email": w.email("plain"), "role": "member"},
        org_a_status=PENDING),
    Row("organizations.remove_member", "GET", "", ALL("405"),
        lambda w: f"/organizations/{w.org_a_id}/members/{w.membership_member_a}/remove"),
    # A member may leave; an owner may remove; nobody else even learns the membership exists.
    Row("organizations.remove_member", "POST", "member", "L    404  302! 302! 404  404  404",
        lambda w: f"/organizations/{w.org_a_id}/members/{w.membership_member_a}/remove"),
    Row("organizations.remove_member", "POST", "last-owner", "L    404  403  409  404  404  404",
        lambda w: f"/organizations/{w.org_a_id}/members/{w.membership_owner_a}/remove"),
    Row("organizations.remove_member", "POST", "other-org-membership", SIGNED_IN("L", "404"),
        lambda w: f"/organizations/{w.org_a_id}/members/{w.membership_org_b}/remove"),
    Row("organizations.remove_member", "POST", "pending", "L    404  302! 302! 404  404  404",
        lambda w: f"/organizations/{w.org_a_id}/members/{w.membership_member_a}/remove",
        org_a_status=PENDING),
    # --- programme office (officers) ---------------------------------------------------------
    Row("office.index", "GET", "", "L    403  403  403  403  200  200", fixed("/office/")),
    Row("office.audit", "GET", "", "L    403  403  403  403  200  200", fixed("/office/audit")),
    Row("office.review", "GET", "pending", "L    403  403  403  403  200  200", office_org(),
        org_a_status=PENDING),
    Row("office.review", "GET", "verified", "L    403  403  403  403  200  200", office_org()),
    Row("office.review", "GET", "missing", "L    403  403  403  403  404  404",
        office_org(missing=True)),
    Row("office.verify", "GET", "", ALL("405"), office_org("/verify"), org_a_status=PENDING),
    Row("office.verify", "POST", "pending", "L    403  403  403  403  302! 302!",
        office_org("/verify"), org_a_status=PENDING),
    Row("office.verify", "POST", "verified", "L    403  403  403  403  409  409",
        office_org("/verify")),
    Row("office.verify", "POST", "missing", "L    403  403  403  403  404  404",
        office_org("/verify", missing=True)),
    Row("office.reject", "GET", "", ALL("405"), office_org("/reject"), org_a_status=PENDING),
    Row("office.reject", "POST", "pending", "L    403  403  403  403  302! 302!",
        office_org("/reject"), lambda w: {"reason": "营业执照不清晰"}, org_a_status=PENDING),
    Row("office.reject", "POST", "verified", "L    403  403  403  403  409  409",
        office_org("/reject"), lambda w: {"reason": "营业执照不清晰"}),
    # --- site administration (admins) --------------------------------------------------------
    Row("office.users", "GET", "", "L    403  403  403  403  403  200", fixed("/office/users")),
    Row("office.set_role", "GET", "", ALL("405"), office_user("/role")),
    Row("office.set_role", "POST", "", "L    403  403  403  403  403  302!", office_user("/role"),
        lambda w: {"role": "officer"}),
    Row("office.set_role", "POST", "own-account", "L    403  403  403  403  403  403",
        office_user("/role", "admin"), lambda w: {"role": "user"}),
    Row("office.set_role", "POST", "missing", "L    403  403  403  403  403  404",
        office_user("/role", "missing"), lambda w: {"role": "officer"}),
    Row("office.deactivate", "GET", "", ALL("405"), office_user("/deactivate")),
    Row("office.deactivate", "POST", "", "L    403  403  403  403  403  302!",
        office_user("/deactivate"), lambda w: {"reason": "测试"}),
    Row("office.deactivate", "POST", "own-account", "L    403  403  403  403  403  403",
        office_user("/deactivate", "admin"), lambda w: {"reason": "测试"}),
    Row("office.reactivate", "GET", "", ALL("405"), office_user("/reactivate")),
    Row("office.reactivate", "POST", "", "L    403  403  403  403  403  302!",
        office_user("/reactivate"), target_active=False),
    # --- listings: the public catalogue --------------------------------------------------------
    Row("catalogue.index", "GET", "", ALL("200"), fixed("/search?q=电镜"), listing_status=PUB),
    Row("catalogue.api_search", "GET", "", ALL("200"), fixed("/api/v1/listings?q=电镜"),
        listing_status=PUB),
    Row("catalogue.api_suggest", "GET", "", ALL("200"), fixed("/api/v1/suggest?q=电"),
        listing_status=PUB),
    Row("catalogue.openapi", "GET", "", ALL("200"), fixed("/api/v1/openapi.json")),
    Row("catalogue.show", "GET", "published", ALL("200"), listing(), listing_status=PUB),
    Row("catalogue.show", "GET", "draft", "404  404  200  200  404  200  200", listing(),
        listing_status=DRAFT),
    Row("catalogue.show", "GET", "archived", "404  404  200  200  404  200  200", listing(),
        listing_status=ARCHIVED),
    Row("catalogue.show", "GET", "missing", ALL("404"), fixed(f"/listings/{MISSING}")),
    Row("catalogue.api_show", "GET", "published", ALL("200"),
        lambda w: f"/api/v1/listings/{w.listing_a}", listing_status=PUB),
    Row("catalogue.api_show", "GET", "draft", "404  404  200  200  404  200  200",
        lambda w: f"/api/v1/listings/{w.listing_a}", listing_status=DRAFT),
    Row("catalogue.photo", "GET", "published", ALL("200"),
        lambda w: f"/listings/{w.listing_a}/photos/{w.photo_a}", listing_status=PUB),
    Row("catalogue.photo", "GET", "draft", "404  404  200  200  404  200  200",
        lambda w: f"/listings/{w.listing_a}/photos/{w.photo_a}", listing_status=DRAFT),
    Row("catalogue.photo", "GET", "other-listing-photo", ALL("404"),
        lambda w: f"/listings/{w.listing_a}/photos/{w.photo_b}", listing_status=PUB),
    # --- listings: publishing (members of the owning organisation) ---------------------------
    Row("publishing.index", "GET", "", SIGNED_IN("L", "200"), fixed("/my/listings"),
        listing_status=PUB),
    # No organisation that may offer instruments: a redirect to "my listings" with a message.
    Row("publishing.create", "GET", "", "L    302  200  200  200  302  302",
        fixed("/listings/new/instrument")),
    Row("publishing.create", "GET", "unknown-kind", SIGNED_IN("L", "404"),
        fixed("/listings/new/rocket")),
    # other_org may create listings, but not for org A: org A is not among its choices.
    Row("publishing.create", "POST", "", "L    302  302! 302! 200  302  302",
        fixed("/listings/new/instrument"), lambda w: instrument_form(w.org_a_id)),
    Row("publishing.edit", "GET", "published", "L    403  200  200  403  403  403",
        listing("/edit"), listing_status=PUB),
    Row("publishing.edit", "GET", "draft", "L    404  200  200  404  403  403",
        listing("/edit"), listing_status=DRAFT),
    Row("publishing.edit", "POST", "published", "L    403  302! 302! 403  403  403",
        listing("/edit"), lambda w: instrument_form(w.org_a_id), listing_status=PUB),
    Row("publishing.edit", "POST", "draft", "L    404  302! 302! 404  403  403",
        listing("/edit"), lambda w: instrument_form(w.org_a_id), listing_status=DRAFT),
    Row("publishing.publish", "GET", "", ALL("405"), listing("/publish"), listing_status=DRAFT),
    Row("publishing.publish", "POST", "draft", "L    404  302! 302! 404  403  403",
        listing("/publish"), listing_status=DRAFT),
    Row("publishing.archive", "GET", "", ALL("405"), listing("/archive"), listing_status=PUB),
    Row("publishing.archive", "POST", "published", "L    403  302! 302! 403  403  403",
        listing("/archive"), listing_status=PUB),
    Row("publishing.delete", "GET", "", ALL("405"), listing("/delete"), listing_status=DRAFT),
    Row("publishing.delete", "POST", "draft", "L    404  302! 302! 404  403  403",
        listing("/delete"), listing_status=DRAFT),
    Row("publishing.delete", "POST", "published", "L    403  409  409  403  403  403",
        listing("/delete"), listing_status=PUB),
    Row("publishing.photos", "GET", "published", "L    403  200  200  403  403  403",
        listing("/photos"), listing_status=PUB),
    Row("publishing.photos", "POST", "published", "L    403  302! 302! 403  403  403",
        listing("/photos"), photo_upload, listing_status=PUB),
    Row("publishing.delete_photo", "GET", "", ALL("405"),
        lambda w: f"/listings/{w.listing_a}/photos/{w.photo_a}/delete", listing_status=PUB),
    Row("publishing.delete_photo", "POST", "published", "L    403  302! 302! 403  403  403",
        lambda w: f"/listings/{w.listing_a}/photos/{w.photo_a}/delete", listing_status=PUB),
    Row("publishing.delete_photo", "POST", "other-listing-photo",
        "L    403  404  404  403  403  403",
        lambda w: f"/listings/{w.listing_a}/photos/{w.photo_b}/delete", listing_status=PUB),
]
# fmt: on


# Rows that fail because of an app bug outside marketplace/security.py (reported, not hidden).
KNOWN_APP_BUGS: dict[str, str] = {}


def required_cells(app) -> set[tuple[str, str]]:
    """Every (endpoint, method) the app answers, plus GET on POST-only routes (405 rows)."""
    required = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = set(rule.methods) - {"HEAD", "OPTIONS"}
        required |= {(rule.endpoint, method) for method in methods}
        if "GET" not in methods:
            required.add((rule.endpoint, "GET"))
    return required


def test_matrix_covers_every_route(app):
    """A route added to the app without rows here fails this test (and so do stale rows)."""
    covered = {(row.endpoint, row.method) for row in ROWS}
    required = required_cells(app)
    assert sorted(required - covered) == [], "routes missing from the authorization matrix"
    assert sorted(covered - required) == [], "rows for routes that no longer exist"
    assert len({row.id for row in ROWS}) == len(ROWS), "duplicate row ids"


def asks_to_sign_in(response, url: str) -> bool:
    """Flask-Login's answer to an anonymous visitor: 302 to /auth/login?next=<this URL>."""
    if response.status_code != 302 or location_path(response) != "/auth/login":
        return False
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return query.get("next") == [url]


def _check_cell(response, expected: str, changed: list[str], method: str, url: str) -> str | None:
    must_change = expected.endswith("!")
    code = expected.rstrip("!")
    status = response.status_code
    if code == "L":
        if not asks_to_sign_in(response, url):
            return f"expected redirect to login, got {status} {response.headers.get('Location')}"
    elif str(status) != code:
        return f"expected {code}, got {status}"
    elif code == "302" and asks_to_sign_in(response, url):
        return "expected the action's redirect, got 'please sign in'"
    if status >= 500:
        return f"server error {status}"
    if must_change and not changed:
        return "the action was allowed but changed nothing"
    if not must_change and changed:
        kind = "a denied request" if code in DENIALS else f"{method} {code}"
        return f"{kind} changed tables {changed}"
    return None


def _param(row: Row):
    reason = KNOWN_APP_BUGS.get(row.id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(row, id=row.id, marks=marks)


@pytest.mark.parametrize("row", [_param(row) for row in ROWS])
def test_authorization_matrix(db, make_client, figures, row: Row):
    """Each persona gets the expected status, and only allowed actions touch the database."""
    world: World | None = None
    before: dict | None = None
    unexpected = []
    for persona, expected in row.cells().items():
        if world is None:
            clear_tables()
            world = build_world(
                org_a_status=row.org_a_status,
                target_active=row.target_active,
                listing_status=row.listing_status,
            )
            before = None
        client = make_client()
        if persona != "anonymous":
            mint_session(client, world.uid(persona))
            before = None
        if before is None:
            before = snapshot()
        url = row.url(world)
        if row.method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=row.method, data=row.data(world) if row.data else {})
        response.get_data()
        response.close()  # file responses (photos) hold the file open until closed
        after = snapshot()
        changed = diff_tables(before, after)
        problem = _check_cell(response, expected, changed, row.method, url)
        if problem:
            unexpected.append(f"{row.method} {url} as {persona}: {problem}")
        before = after
        if changed:
            world = None  # the next persona gets a fresh world
    tally = figures["authz_matrix"]
    tally["rows"] += 1
    tally["personas"] = len(PERSONAS)
    tally["cells"] += len(PERSONAS)
    tally["known_bug" if row.id in KNOWN_APP_BUGS else "unexpected"] += len(unexpected)
    assert not unexpected, "\n".join(unexpected)


def test_organization_json_hides_private_fields_from_outsiders(db, make_client):
    """Field-level authorization (ASVS 8.2.3): needs and members only for members and officers."""
    world = build_world()
    sign_in_personas(world, make_client)
    url = f"/api/v1/organizations/{world.org_a_id}"
    for persona in PERSONAS:
        data = world.clients[persona].get(url).get_json()["organization"]
        private = {"needs", "members"} & set(data)
        if persona in ("member_a", "owner_a", "officer", "admin"):
            assert private == {"needs", "members"}, persona
        else:
            assert private == set(), persona


def test_denied_edit_does_not_leak_through_extra_fields(db, make_client):
    """Mass assignment (ASVS 15.3.3): extra form fields (status, site_role) change nothing."""
    from tests.security.helpers import snapshot_rows as take

    world = build_world(org_a_status=PENDING)
    sign_in_personas(world, make_client)
    owner = world.clients["owner_a"]
    data = organization_form(
        world.org_a_credit_code,
        status="verified",
        decided_by_id="1",
        site_role="admin",
        created_by_id=str(world.uid("plain")),
    )
    response = owner.post(f"/organizations/{world.org_a_id}/edit", data=data)
    assert response.status_code == 302
    after = take()
    org_row = next(r for r in after["organizations"] if r[0] == world.org_a_id)
    columns = [c.name for c in db.metadata.tables["organizations"].columns]
    org = dict(zip(columns, org_row, strict=True))
    assert org["status"] == "pending"
    assert org["decided_by_id"] is None
    assert org["created_by_id"] != world.uid("plain")
    roles = {r[0]: r for r in after["users"]}
    role_index = [c.name for c in db.metadata.tables["users"].columns].index("site_role")
    assert roles[world.uid("owner_a")][role_index] == "user"
