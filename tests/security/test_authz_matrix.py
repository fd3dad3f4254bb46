"""S1: function- and object-level authorization over every route (ASVS 5.0 V8.2.1–8.2.3, 8.3.1).

One row per (endpoint, method, variant); seven personas per row. Expected cells:

- ``200``/``302``/``400``/``401``/``403``/``404``/``405``/``409``: the status code;
- ``L``: 302 to the login page (``login_required`` for an anonymous visitor);
- a trailing ``!``: the request must change the database (the allowed action really happened);
  every other cell must leave the database exactly as it was (denials, and every GET).

Object URLs point at org A (owner ``owner_a``, member ``member_a``) and its instrument listing;
``other_org`` owns org B (and its listing). Admin routes act on a separate ``target`` account.
Step-3 rows (``step3=True``, after ``ROWS``) walk a richer world (helpers.build_step3): org A is a
university lab whose instrument org B, an enterprise with vouchers, has booked; so for bookings
member_a/owner_a are the provider, other_org the booker, and plain, officer and admin outsiders.
Personas are signed in with session rows minted into every world when it is built (what the login
view's start_session writes, minus HTTP); the login form itself is covered by the session, CSRF
and open-redirect tests. CSRF is off here (test_csrf.py covers it).
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
    local_day,
    location_path,
    organization_form,
    set_session_cookie,
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
    step3: bool = False  # the bookings/vouchers/settlement world (helpers.build_step3)
    # step 4: builds more on the world (through the real operations) and records ids in w.extra
    extra: Callable[[World], None] | None = None

    def build_world(self) -> World:
        world = build_world(
            org_a_status=self.org_a_status,
            target_active=self.target_active,
            listing_status=self.listing_status,
            step3=self.step3,
        )
        if self.extra is not None:
            self.extra(world)
        return world

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
    # a verified enterprise's member viewing another organisation's listing is counted (step 6)
    Row("catalogue.show", "GET", "published", "200  200  200  200  200! 200  200", listing(),
        listing_status=PUB),
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


# --- step 3: bookings, vouchers, settlement ---------------------------------------------------
# Rows with step3=True walk the world of helpers.build_step3: org A (owner_a, member_a) is the
# university lab that owns listing_a; org B (other_org) is the enterprise that booked it with
# vouchers and applied for quota. So for a booking member_a/owner_a are the provider, other_org
# is the booker, and plain, the officer and the admin are unrelated (officers may look, not act).
def instrument(suffix: str = "", missing: bool = False) -> Callable[[World], str]:
    return lambda w: f"/instruments/{MISSING if missing else w.listing_a}{suffix}"


def booking(state: str, suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/bookings/{w.bookings.get(state, MISSING)}{suffix}"


def programme(name: str, suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/vouchers/programmes/{w.programmes.get(name, MISSING)}{suffix}"


def application(name: str, suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/vouchers/applications/{w.applications.get(name, MISSING)}{suffix}"


def relations(org: str) -> Callable[[World], str]:
    ids = {"a": lambda w: w.org_a_id, "b": lambda w: w.org_b_id, "missing": lambda w: MISSING}
    return lambda w: f"/vouchers/organizations/{ids[org](w)}/relations"


def batch(name: str, suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/office/settlement/{w.batches.get(name, MISSING)}{suffix}"


def batch_item(name: str, action: str, item: str | None = None) -> Callable[[World], str]:
    """An item's action URL; ``item`` names the batch the item really belongs to."""
    return lambda w: f"/office/settlement/{w.batches[name]}/items/{w.items[item or name]}/{action}"


def booking_form(
    org: str, step: str = "preview", key: str | None = None
) -> Callable[[World], dict]:
    """The booking form for a free hour in three days: org B pays with its vouchers, org A (the
    lab itself) pays its own internal rate."""

    def data(w: World) -> dict:
        for_b = org == "b"
        return {
            "day": local_day(3).isoformat(),
            "starts_at": "14:00",
            "ends_at": "15:00",
            "organization_id": str(w.org_b_id if for_b else w.org_a_id),
            "programme_id": str(w.programmes["open"]) if for_b and w.programmes else "self",
            "purpose": "断口分析",
            "request_key": key or w.request_key or "matrix:new",
            step: "y",
        }

    return data


def new_key(form: Callable[[World], dict]) -> Callable[[World], dict]:
    return lambda w: {**form(w), "request_key": "matrix:new-booking"}


def programme_form(w: World) -> dict:
    return {
        "name_zh": "矩阵新建创新券",
        "validity_days": "90",
        "description": "",
        "layers-0-name_zh": "市级财政",
        "layers-0-share_bp": "50",
        "layers-0-budget_fen": "100000",
    }


def programme_edit(budget: str = "100000") -> Callable[[World], dict]:
    def data(w: World) -> dict:
        first, second = w.layers
        return {
            "name_zh": "改名的创新券",
            "validity_days": "60",
            f"budget_{first}": budget,
            f"budget_{second}": "40000",
        }

    return data


def quota_form(org: str = "b") -> Callable[[World], dict]:
    return lambda w: {
        "organization_id": str(w.org_b_id if org == "b" else w.org_a_id),
        "requested_fen": "3000",
        "purpose": "扫描电镜断口分析",
    }


def admission_form(org: str = "a") -> Callable[[World], dict]:
    return lambda w: {
        "organization_id": str(w.org_a_id if org == "a" else w.org_b_id),
        "note": "CMA认证实验室",
    }


def relation_form(related: str = "a") -> Callable[[World], dict]:
    return lambda w: {
        "related": w.org_a_credit_code if related == "a" else w.org_b_credit_code,
        "description": "共同董事",
    }


def batch_form(start: int = -30, end: int = 0) -> Callable[[World], dict]:
    return lambda w: {
        "programme_id": str(w.programmes["open"]),
        "period_start": local_day(start).isoformat(),
        "period_end": local_day(end).isoformat(),
    }


def data(**values) -> Callable[[World], dict]:
    return lambda w: dict(values)


OFFICERS = lambda code: f"L    403  403  403  403  {code} {code}"  # noqa: E731
S3 = {"step3": True}

# fmt: off
#                                                  anon  plain memA ownA  other offcr admin
STEP3_ROWS: list[Row] = [
    # --- bookings: the form, preview and confirm (only for one's own organisation) ----------
    Row("bookings.create", "GET", "", SIGNED_IN("L", "200"), instrument("/book"), **S3),
    Row("bookings.create", "GET", "draft", SIGNED_IN("L", "404"), instrument("/book"),
        listing_status=DRAFT),
    Row("bookings.create", "GET", "missing", SIGNED_IN("L", "404"),
        instrument("/book", missing=True)),
    Row("bookings.create", "POST", "preview-for-org-b", "L    400  400  400  200  400  400",
        instrument("/book"), booking_form("b"), **S3),
    Row("bookings.create", "POST", "preview-for-org-a", "L    400  200  200  400  400  400",
        instrument("/book"), booking_form("a"), **S3),
    Row("bookings.create", "POST", "confirm-for-org-b", "L    400  400  400  302! 400  400",
        instrument("/book"), new_key(booking_form("b", "confirm")), **S3),
    Row("bookings.create", "POST", "confirm-for-org-a", "L    400  302! 302! 400  400  400",
        instrument("/book"), new_key(booking_form("a", "confirm")), **S3),
    # The key of the requested booking again: its booker is sent to it; the lab's own members
    # cannot take over (or learn) another user's booking through its key.
    Row("bookings.create", "POST", "confirm-same-key", "L    400  400  400  302  400  400",
        instrument("/book"), booking_form("b", "confirm"), **S3),
    Row("bookings.create", "POST", "confirm-other-users-key", "L    400  400  400  400  400  400",
        instrument("/book"), booking_form("a", "confirm"), **S3),
    Row("bookings.create", "POST", "draft", SIGNED_IN("L", "404"), instrument("/book"),
        booking_form("a", "confirm"), listing_status=DRAFT),
    # --- bookings: one booking and its actions -------------------------------------------------
    Row("bookings.show", "GET", "", "L    404  200  200  200  200  200", booking("requested"),
        **S3),
    Row("bookings.show", "GET", "missing", SIGNED_IN("L", "404"), booking("missing"), **S3),
    Row("bookings.cancel", "GET", "", ALL("405"), booking("requested", "/cancel"), **S3),
    Row("bookings.cancel", "POST", "requested", "L    404  403  403  302! 403  403",
        booking("requested", "/cancel"), data(reason="样品未到"), **S3),
    Row("bookings.cancel", "POST", "approved", "L    404  403  403  302! 403  403",
        booking("approved", "/cancel"), **S3),
    Row("bookings.cancel", "POST", "completed", "L    404  403  403  403  403  403",
        booking("owed", "/cancel"), **S3),
    Row("bookings.cancel", "POST", "missing", SIGNED_IN("L", "404"),
        booking("missing", "/cancel"), **S3),
    Row("bookings.approve", "GET", "", ALL("405"), booking("requested", "/approve"), **S3),
    Row("bookings.approve", "POST", "requested", "L    404  302! 302! 403  403  403",
        booking("requested", "/approve"), **S3),
    Row("bookings.approve", "POST", "approved", "L    404  403  403  403  403  403",
        booking("approved", "/approve"), **S3),
    Row("bookings.approve", "POST", "missing", SIGNED_IN("L", "404"),
        booking("missing", "/approve"), **S3),
    Row("bookings.reject", "GET", "", ALL("405"), booking("requested", "/reject"), **S3),
    Row("bookings.reject", "POST", "requested", "L    404  302! 302! 403  403  403",
        booking("requested", "/reject"), data(reason="设备检修"), **S3),
    Row("bookings.reject", "POST", "no-reason", "L    404  400  400  403  403  403",
        booking("requested", "/reject"), data(reason=" "), **S3),
    Row("bookings.reject", "POST", "approved", "L    404  403  403  403  403  403",
        booking("approved", "/reject"), data(reason="设备检修"), **S3),
    Row("bookings.complete", "GET", "", ALL("405"), booking("started", "/complete"), **S3),
    Row("bookings.complete", "POST", "started", "L    404  302! 302! 403  403  403",
        booking("started", "/complete"),
        data(actual_minutes="60", usage_note="12 张", invoice_number="INV-9"), **S3),
    Row("bookings.complete", "POST", "bad-minutes", "L    404  400  400  403  403  403",
        booking("started", "/complete"), data(actual_minutes="0"), **S3),
    Row("bookings.complete", "POST", "not-started", "L    404  400  400  403  403  403",
        booking("approved", "/complete"), data(actual_minutes="60"), **S3),
    Row("bookings.complete", "POST", "requested", "L    404  403  403  403  403  403",
        booking("requested", "/complete"), data(actual_minutes="60"), **S3),
    Row("bookings.no_show", "GET", "", ALL("405"), booking("started", "/no-show"), **S3),
    Row("bookings.no_show", "POST", "started", "L    404  302! 302! 403  403  403",
        booking("started", "/no-show"), **S3),
    Row("bookings.no_show", "POST", "not-started", "L    404  400  400  403  403  403",
        booking("approved", "/no-show"), **S3),
    Row("bookings.no_show", "POST", "requested", "L    404  403  403  403  403  403",
        booking("requested", "/no-show"), **S3),
    Row("bookings.record_payment", "GET", "", ALL("405"), booking("owed", "/payment"), **S3),
    Row("bookings.record_payment", "POST", "owed", "L    404  302! 302! 403  403  403",
        booking("owed", "/payment"), **S3),
    Row("bookings.record_payment", "POST", "nothing-owed", "L    404  403  403  403  403  403",
        booking("requested", "/payment"), **S3),
    # --- bookings: lists, the calendar address, training records, feeds -----------------------
    Row("bookings.index", "GET", "", SIGNED_IN("L", "200"), fixed("/bookings/"), **S3),
    Row("bookings.lab", "GET", "", SIGNED_IN("L", "200"), fixed("/bookings/lab"), **S3),
    Row("bookings.calendar_link", "GET", "", ALL("405"), fixed("/bookings/calendar-link")),
    # other_org has its address already: made once, never changed by another post.
    Row("bookings.calendar_link", "POST", "", "L    302! 302! 302! 302  302! 302!",
        fixed("/bookings/calendar-link"), **S3),
    Row("bookings.grant_qualification", "GET", "", ALL("405"), instrument("/qualifications"),
        **S3),
    Row("bookings.grant_qualification", "POST", "", "L    403  302! 302! 403  403  403",
        instrument("/qualifications"), lambda w: {"email": w.email("plain"), "note": "已培训"},
        **S3),
    Row("bookings.grant_qualification", "POST", "already-trained",
        "L    403  302  302  403  403  403",
        instrument("/qualifications"), lambda w: {"email": w.email("other_org")}, **S3),
    Row("bookings.grant_qualification", "POST", "unknown-email", "L    403  400  400  403  403  403",
        instrument("/qualifications"), data(email="nobody@example.cn"), **S3),
    Row("bookings.grant_qualification", "POST", "draft", "L    404  302! 302! 404  403  403",
        instrument("/qualifications"), lambda w: {"email": w.email("plain")},
        listing_status=DRAFT),
    Row("bookings.grant_qualification", "POST", "missing", SIGNED_IN("L", "404"),
        instrument("/qualifications", missing=True), data(email="nobody@example.cn")),
    Row("bookings.revoke_qualification", "GET", "", ALL("405"),
        lambda w: f"/bookings/qualifications/{w.qualification}/revoke", **S3),
    Row("bookings.revoke_qualification", "POST", "", "L    404  302! 302! 404  404  404",
        lambda w: f"/bookings/qualifications/{w.qualification}/revoke", **S3),
    Row("bookings.revoke_qualification", "POST", "missing", SIGNED_IN("L", "404"),
        fixed(f"/bookings/qualifications/{MISSING}/revoke")),
    # Calendar feeds need no sign-in: the secret token (or a published instrument) is the key.
    Row("bookings.user_feed", "GET", "valid-token", ALL("200"),
        lambda w: f"/bookings/calendar/{w.calendar_token}.ics", **S3),
    Row("bookings.user_feed", "GET", "bad-token", ALL("404"),
        fixed("/bookings/calendar/not-a-real-token-at-all.ics"), **S3),
    Row("bookings.instrument_feed", "GET", "published", ALL("200"), instrument("/calendar.ics"),
        **S3),
    Row("bookings.instrument_feed", "GET", "draft", ALL("404"), instrument("/calendar.ics"),
        listing_status=DRAFT),
    Row("bookings.instrument_feed", "GET", "missing", ALL("404"),
        instrument("/calendar.ics", missing=True)),
    # --- vouchers: programmes (officers) --------------------------------------------------------
    Row("vouchers.index", "GET", "", SIGNED_IN("L", "200"), fixed("/vouchers/"), **S3),
    Row("vouchers.programmes", "GET", "", OFFICERS("200"), fixed("/vouchers/programmes"), **S3),
    Row("vouchers.create_programme", "GET", "", OFFICERS("200"), fixed("/vouchers/programmes/new")),
    Row("vouchers.create_programme", "POST", "", OFFICERS("302!"),
        fixed("/vouchers/programmes/new"), programme_form),
    Row("vouchers.create_programme", "POST", "no-layers", OFFICERS("400"),
        fixed("/vouchers/programmes/new"), data(name_zh="没有资金层级", validity_days="90")),
    Row("vouchers.show", "GET", "open", SIGNED_IN("L", "200"), programme("open"), **S3),
    Row("vouchers.show", "GET", "closed", SIGNED_IN("L", "200"), programme("closed"), **S3),
    Row("vouchers.show", "GET", "draft", "L    404  404  404  404  200  200", programme("draft"),
        **S3),
    Row("vouchers.show", "GET", "missing", SIGNED_IN("L", "404"), programme("missing"), **S3),
    Row("vouchers.manage", "GET", "", OFFICERS("200"), programme("open", "/manage"), **S3),
    Row("vouchers.manage", "GET", "missing", OFFICERS("404"), programme("missing", "/manage"),
        **S3),
    Row("vouchers.edit_programme", "GET", "", OFFICERS("200"), programme("open", "/edit"), **S3),
    Row("vouchers.edit_programme", "GET", "missing", OFFICERS("404"),
        programme("missing", "/edit"), **S3),
    Row("vouchers.edit_programme", "POST", "", OFFICERS("302!"), programme("open", "/edit"),
        programme_edit(), **S3),
    Row("vouchers.edit_programme", "POST", "below-issued", OFFICERS("400"),
        programme("open", "/edit"), programme_edit(budget="1"), **S3),
    Row("vouchers.open_programme", "GET", "", ALL("405"), programme("draft", "/open"), **S3),
    Row("vouchers.open_programme", "POST", "draft", OFFICERS("302!"), programme("draft", "/open"),
        **S3),
    Row("vouchers.open_programme", "POST", "already-open", OFFICERS("302"),
        programme("open", "/open"), **S3),
    Row("vouchers.open_programme", "POST", "missing", OFFICERS("404"),
        programme("missing", "/open"), **S3),
    Row("vouchers.close_programme", "GET", "", ALL("405"), programme("open", "/close"), **S3),
    Row("vouchers.close_programme", "POST", "open", OFFICERS("302!"), programme("open", "/close"),
        **S3),
    Row("vouchers.close_programme", "POST", "already-closed", OFFICERS("302"),
        programme("closed", "/close"), **S3),
    # --- vouchers: quota applications (members of the enterprise apply; officers decide) ------
    Row("vouchers.apply", "GET", "", ALL("405"), programme("fresh", "/apply"), **S3),
    Row("vouchers.apply", "POST", "", "L    403  403  403  302! 403  403",
        programme("fresh", "/apply"), quota_form(), **S3),
    Row("vouchers.apply", "POST", "for-org-a", "L    403  403  403  400  403  403",
        programme("fresh", "/apply"), quota_form("a"), **S3),
    Row("vouchers.apply", "POST", "second-application", "L    403  403  403  409  403  403",
        programme("open", "/apply"), quota_form(), **S3),
    Row("vouchers.apply", "POST", "closed", "L    403  403  403  400  403  403",
        programme("closed", "/apply"), quota_form(), **S3),
    Row("vouchers.apply", "POST", "draft", "L    404  404  404  404  403  403",
        programme("draft", "/apply"), quota_form(), **S3),
    Row("vouchers.apply", "POST", "missing", SIGNED_IN("L", "404"),
        programme("missing", "/apply"), quota_form(), **S3),
    Row("vouchers.application", "GET", "", "L    404  404  404  200  200  200",
        application("submitted"), **S3),
    Row("vouchers.application", "GET", "missing", SIGNED_IN("L", "404"),
        application("missing"), **S3),
    Row("vouchers.withdraw", "GET", "", ALL("405"), application("submitted", "/withdraw"), **S3),
    Row("vouchers.withdraw", "POST", "submitted", "L    404  404  404  302! 403  403",
        application("submitted", "/withdraw"), **S3),
    Row("vouchers.withdraw", "POST", "granted", "L    404  404  404  409  403  403",
        application("granted", "/withdraw"), **S3),
    Row("vouchers.withdraw", "POST", "missing", SIGNED_IN("L", "404"),
        application("missing", "/withdraw"), **S3),
    Row("vouchers.grant", "GET", "", ALL("405"), application("submitted", "/grant"), **S3),
    Row("vouchers.grant", "POST", "submitted", OFFICERS("302!"),
        application("submitted", "/grant"), data(amount_fen="1000", note="部分批准"), **S3),
    Row("vouchers.grant", "POST", "granted", OFFICERS("409"), application("granted", "/grant"),
        data(amount_fen="1000"), **S3),
    Row("vouchers.grant", "POST", "missing", OFFICERS("404"), application("missing", "/grant"),
        data(amount_fen="1000"), **S3),
    Row("vouchers.refuse", "GET", "", ALL("405"), application("submitted", "/refuse"), **S3),
    Row("vouchers.refuse", "POST", "submitted", OFFICERS("302!"),
        application("submitted", "/refuse"), data(reason="缺少研发投入证明"), **S3),
    Row("vouchers.refuse", "POST", "no-reason", OFFICERS("400"),
        application("submitted", "/refuse"), data(reason=""), **S3),
    Row("vouchers.refuse", "POST", "granted", OFFICERS("409"), application("granted", "/refuse"),
        data(reason="缺少研发投入证明"), **S3),
    Row("vouchers.refuse", "POST", "missing", OFFICERS("404"), application("missing", "/refuse"),
        data(reason="缺少研发投入证明"), **S3),
    # --- vouchers: providers' admission (members of an organisation with instruments) ---------
    Row("vouchers.apply_admission", "GET", "", ALL("405"), programme("fresh", "/admission"),
        **S3),
    Row("vouchers.apply_admission", "POST", "", "L    403  302! 302! 403  403  403",
        programme("fresh", "/admission"), admission_form(), **S3),
    Row("vouchers.apply_admission", "POST", "already-admitted",
        "L    403  302  302  403  403  403",
        programme("open", "/admission"), admission_form(), **S3),
    Row("vouchers.apply_admission", "POST", "for-org-b", "L    403  400  400  403  403  403",
        programme("fresh", "/admission"), admission_form("b"), **S3),
    Row("vouchers.apply_admission", "POST", "draft", "L    404  404  404  404  403  403",
        programme("draft", "/admission"), admission_form(), **S3),
    Row("vouchers.admission", "GET", "", OFFICERS("200"),
        lambda w: f"/vouchers/admissions/{w.admission}", **S3),
    Row("vouchers.admission", "GET", "missing", OFFICERS("404"),
        fixed(f"/vouchers/admissions/{MISSING}"), **S3),
    Row("vouchers.admission", "POST", "", OFFICERS("302!"),
        lambda w: f"/vouchers/admissions/{w.admission}", data(status="suspended", note="核查中"),
        **S3),
    Row("vouchers.admission", "POST", "refuse-without-note", OFFICERS("400"),
        lambda w: f"/vouchers/admissions/{w.admission}", data(status="refused", note=""), **S3),
    # --- vouchers: related parties (private to members and officers) --------------------------
    Row("vouchers.relations", "GET", "org-b", "L    404  404  404  200  200  200", relations("b"),
        **S3),
    Row("vouchers.relations", "GET", "org-a", "L    404  200  200  404  200  200", relations("a"),
        **S3),
    Row("vouchers.relations", "GET", "missing", SIGNED_IN("L", "404"), relations("missing"),
        **S3),
    Row("vouchers.relations", "POST", "org-b", "L    404  404  404  302! 302! 302!",
        relations("b"), relation_form("a"), **S3),
    Row("vouchers.relations", "POST", "itself", "L    404  404  404  400  400  400",
        relations("b"), relation_form("b"), **S3),
    # --- settlement: reimbursement batches (officers only) ------------------------------------
    Row("settlement.index", "GET", "", OFFICERS("200"), fixed("/office/settlement/"), **S3),
    Row("settlement.create", "GET", "", OFFICERS("200"), fixed("/office/settlement/new"), **S3),
    Row("settlement.create", "POST", "", OFFICERS("302!"), fixed("/office/settlement/new"),
        batch_form(), **S3),
    Row("settlement.create", "POST", "nothing-to-settle", OFFICERS("400"),
        fixed("/office/settlement/new"), batch_form(-400, -370), **S3),
    Row("settlement.create", "POST", "end-before-start", OFFICERS("400"),
        fixed("/office/settlement/new"), batch_form(0, -30), **S3),
    Row("settlement.show", "GET", "draft", OFFICERS("200"), batch("draft"), **S3),
    Row("settlement.show", "GET", "approved", OFFICERS("200"), batch("approved"), **S3),
    Row("settlement.show", "GET", "missing", OFFICERS("404"), batch("missing"), **S3),
    Row("settlement.set_invoice", "GET", "", ALL("405"), batch_item("draft", "invoice"), **S3),
    Row("settlement.set_invoice", "POST", "draft", OFFICERS("302!"),
        batch_item("draft", "invoice"), data(invoice_number="INV-77"), **S3),
    Row("settlement.set_invoice", "POST", "empty", OFFICERS("400"),
        batch_item("draft", "invoice"), data(invoice_number=""), **S3),
    Row("settlement.set_invoice", "POST", "approved", OFFICERS("409"),
        batch_item("approved", "invoice"), data(invoice_number="INV-77"), **S3),
    Row("settlement.set_invoice", "POST", "item-of-another-batch", OFFICERS("404"),
        batch_item("draft", "invoice", item="approved"), data(invoice_number="INV-77"), **S3),
    Row("settlement.remove_item", "GET", "", ALL("405"), batch_item("draft", "remove"), **S3),
    Row("settlement.remove_item", "POST", "draft", OFFICERS("302!"),
        batch_item("draft", "remove"), **S3),
    Row("settlement.remove_item", "POST", "approved", OFFICERS("409"),
        batch_item("approved", "remove"), **S3),
    Row("settlement.remove_item", "POST", "item-of-another-batch", OFFICERS("404"),
        batch_item("draft", "remove", item="no_invoice"), **S3),
    Row("settlement.discard", "GET", "", ALL("405"), batch("draft", "/discard"), **S3),
    Row("settlement.discard", "POST", "draft", OFFICERS("302!"), batch("draft", "/discard"),
        **S3),
    Row("settlement.discard", "POST", "approved", OFFICERS("409"), batch("approved", "/discard"),
        **S3),
    Row("settlement.discard", "POST", "missing", OFFICERS("404"), batch("missing", "/discard"),
        **S3),
    Row("settlement.approve", "GET", "", ALL("405"), batch("draft", "/approve"), **S3),
    Row("settlement.approve", "POST", "draft", OFFICERS("302!"), batch("draft", "/approve"),
        **S3),
    Row("settlement.approve", "POST", "invoice-missing", OFFICERS("400"),
        batch("no_invoice", "/approve"), **S3),
    Row("settlement.approve", "POST", "approved", OFFICERS("409"), batch("approved", "/approve"),
        **S3),
    Row("settlement.approve", "POST", "missing", OFFICERS("404"), batch("missing", "/approve"),
        **S3),
    Row("settlement.pay", "GET", "", ALL("405"), batch("approved", "/pay"), **S3),
    Row("settlement.pay", "POST", "approved", OFFICERS("302!"), batch("approved", "/pay"),
        data(reference="长财科〔2027〕12号"), **S3),
    Row("settlement.pay", "POST", "empty-reference", OFFICERS("400"), batch("approved", "/pay"),
        data(reference=" "), **S3),
    Row("settlement.pay", "POST", "draft", OFFICERS("409"), batch("draft", "/pay"),
        data(reference="长财科〔2027〕12号"), **S3),
    Row("settlement.pay", "POST", "missing", OFFICERS("404"), batch("missing", "/pay"),
        data(reference="长财科〔2027〕12号"), **S3),
    Row("settlement.export", "GET", "", OFFICERS("200"), batch("draft", "/export.csv"), **S3),
    Row("settlement.export", "GET", "missing", OFFICERS("404"), batch("missing", "/export.csv"),
        **S3),
    Row("settlement.print", "GET", "", OFFICERS("200"), batch("approved", "/print"), **S3),
    Row("settlement.print", "GET", "missing", OFFICERS("404"), batch("missing", "/print"), **S3),
]
# fmt: on
ROWS += STEP3_ROWS

# step 4: rows kept beside the slices that add the routes (each file imports Row from here)
from tests.security.rows_campaigns import CAMPAIGN_ROWS  # noqa: E402
from tests.security.rows_payments import PAYMENT_ROWS  # noqa: E402
from tests.security.rows_pledges import PLEDGE_ROWS  # noqa: E402

ROWS += PAYMENT_ROWS + CAMPAIGN_ROWS + PLEDGE_ROWS

# step 5
from tests.security.rows_conversations import CONVERSATION_ROWS  # noqa: E402
from tests.security.rows_licence_fees import LICENCE_FEE_ROWS  # noqa: E402
from tests.security.rows_licensing import LICENSING_ROWS  # noqa: E402
from tests.security.rows_needs import NEED_ROWS  # noqa: E402
from tests.security.rows_reviews import REVIEW_ROWS  # noqa: E402
from tests.security.rows_spaces import SPACE_ROWS  # noqa: E402

ROWS += (CONVERSATION_ROWS + LICENSING_ROWS + LICENCE_FEE_ROWS + SPACE_ROWS + NEED_ROWS
         + REVIEW_ROWS)

# step 6
from tests.security.rows_recommendations import RECOMMENDATION_ROWS  # noqa: E402

ROWS += RECOMMENDATION_ROWS

# step 7
from tests.security.rows_integrity import INTEGRITY_ROWS  # noqa: E402
from tests.security.rows_moderation import MODERATION_ROWS  # noqa: E402
from tests.security.rows_opendata import OPENDATA_ROWS  # noqa: E402
from tests.security.rows_statistics import STATISTICS_ROWS  # noqa: E402

ROWS += STATISTICS_ROWS + INTEGRITY_ROWS + OPENDATA_ROWS + MODERATION_ROWS

# step 8
from tests.security.rows_ops import OPS_ROWS  # noqa: E402

ROWS += OPS_ROWS


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


def _ledger_problem() -> str | None:
    """What ``flask ledger verify`` (ledger and business checks) says after an allowed action."""
    from marketplace.checks import ALL_CHECKS
    from marketplace.extensions import db
    from marketplace.ledger.queries import verify_committed

    report = verify_committed(db.engine, ALL_CHECKS)
    return None if report.ok else f"the ledger no longer verifies: {report.verdict()}"


def _param(row: Row):
    reason = KNOWN_APP_BUGS.get(row.id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(row, id=row.id, marks=marks)


# ---------------------------------------------------------------------------------------------
# Worlds, built once per signature and restored exactly.
#
# Building a world through the real operations costs 0.1-1.6 s, and most rows change nothing:
# a row starts on the world the previous row left when both have the same signature and the
# database is, row for row, what the build committed (any difference means a rebuild). Every
# build ends by minting a session for each signed-in persona, so a cell only sets its client's
# cookie; while the matrix runs, a session's last-seen time is not re-recorded (matrix_db), so
# a request that changes nothing writes nothing however long a world lives.
# Otherwise the world is restored: the tables emptied and refilled with the rows the build
# committed (same ids), the search index rebuilt from them, and the uploaded files and model
# artifacts put back as they were right after the build. A cell that changes the database still
# gets a fresh world for the next persona, so every cell starts from the same state as before.
_FILE_DIRS = ("uploads", "models")  # under the instance path: what the worlds write besides rows


@dataclass
class _Built:
    world: World
    rows: dict  # helpers.dump_rows() right after the build
    snapshot: dict  # helpers.snapshot() right after the build
    files: dict  # path -> bytes under _FILE_DIRS right after the build
    verified: bool = False  # the ledger checks passed on exactly this state


_BUILT: dict[tuple, _Built] = {}
_LIVE: dict = {"signature": None, "world": None}  # the world the database holds, as built


def _signature(row: Row) -> tuple:
    return (row.org_a_status, row.target_active, row.listing_status, row.step3, row.extra)


def _file_roots() -> list:
    from pathlib import Path

    from flask import current_app

    instance = Path(current_app.instance_path)
    roots = [instance / name for name in _FILE_DIRS]
    roots.append(Path(current_app.config["MODEL_DIR"]))
    return list(dict.fromkeys(roots))


def _read_files() -> dict:
    files = {}
    for root in _file_roots():
        if root.is_dir():
            for path in root.rglob("*"):
                if path.is_file() and not path.name.endswith(".lock"):
                    files[path] = path.read_bytes()
    return files


def _put_back_files(saved: dict) -> None:
    for path, data in _read_files().items():
        if path not in saved:
            path.unlink(missing_ok=True)
    for path, data in saved.items():
        if not path.is_file() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def _reset_search_index() -> None:
    from flask import current_app

    from listings import search

    search.rebuild(current_app.config["SEARCH_INDEX_DIR"], [])


def _index_generation() -> int | None:
    """The Whoosh index's generation (every write moves it on); None for another backend."""
    from flask import current_app

    from listings import backend, search

    if backend.backend_name() != "whoosh":
        return None
    return search.get_index(current_app.config["SEARCH_INDEX_DIR"]).latest_generation()


# (signature, generation): the search index holds exactly that world's listings, as restored
_INDEXED: dict = {"as": None}


def _build(row) -> World:
    """What Row.build_world does, for anything with the signature's attributes (rows of this
    matrix, test_limits.FormCases)."""
    world = build_world(org_a_status=row.org_a_status, target_active=row.target_active,
                        listing_status=row.listing_status, step3=row.step3)
    if row.extra is not None:
        row.extra(world)
    return world


def _fresh_world(row, *, live: bool = True) -> World:
    """The row's world on emptied tables: restored from its first build, or built now. With
    ``live``, a following row of the same signature may reuse it (_world_as_built)."""
    import copy

    from listings.indexing import rebuild_index
    from marketplace.extensions import db
    from tests.security.helpers import dump_rows, restore_rows

    signature = _signature(row)
    _LIVE["signature"] = None
    clear_tables()
    built = _BUILT.get(signature)
    if built is None:
        _reset_search_index()
        world = _build(row)
        world.session_tokens = _mint_sessions(world)
        db.session.remove()
        built = _BUILT[signature] = _Built(copy.deepcopy(world), dump_rows(), snapshot(),
                                           _read_files())
    else:
        restore_rows(built.rows)
        generation = _index_generation()
        if generation is None or _INDEXED["as"] != (signature, generation):
            rebuild_index(db.session)  # else: not written since it was rebuilt for this world
        db.session.remove()
        _put_back_files(built.files)
        world = copy.deepcopy(built.world)
    generation = _index_generation()
    _INDEXED["as"] = (signature, generation) if generation is not None else None
    if live:
        _LIVE["signature"], _LIVE["world"] = signature, world
    return world


def _mint_sessions(world: World) -> dict[str, str]:
    """A signed-in session for each persona but the anonymous one: persona -> raw token."""
    from marketplace.auth.models import User
    from marketplace.auth.operations import start_session
    from marketplace.extensions import db

    tokens = {persona: start_session(db.session.get(User, world.uid(persona)), remember=False)
              for persona in PERSONAS if persona != "anonymous"}
    db.session.commit()
    return tokens


def _world_as_built() -> tuple[_Built | None, dict | None]:
    """The live world's build record and the current snapshot, if the database is exactly
    what that build committed; else (None, None)."""
    signature = _LIVE["signature"]
    if signature is None:
        return None, None
    built = _BUILT[signature]
    now = snapshot()
    if now != built.snapshot:
        _LIVE["signature"] = None
        return None, None
    return built, now


@pytest.fixture
def matrix_db(app, request, monkeypatch):
    """The ``db`` fixture of tests/security for matrix rows, except that the tables are not
    emptied between consecutive rows: the next row may start on the world this one left (see
    _fresh_world). After each row, whatever it committed must still pass ``flask ledger verify``
    (skipped only when the database is exactly a built world that already passed it). The tables
    and the search index are emptied after the last matrix row in a run of them. The sessions
    minted into a world are not marked as seen again while the matrix runs (see _fresh_world)."""
    from datetime import timedelta

    from marketplace.extensions import db as _db
    from tests.conftest import _assert_ledger_clean

    monkeypatch.setitem(app.config, "SESSION_SEEN_INTERVAL", timedelta(days=1))
    with app.app_context():
        yield _db
        _db.session.remove()
        try:
            _LIVE.pop("checked", None)
            verified = _LIVE.pop("verified", None)  # a state the row's own ledger check passed
            unchanged_since = verified is not None and snapshot() == verified
            built, now = _world_as_built()
            if not unchanged_since and (built is None or not built.verified):
                _assert_ledger_clean()
                if built is not None:
                    built.verified = True
            if built is not None:
                _LIVE["checked"] = now
        except BaseException:
            _LIVE["signature"] = None
            raise
        finally:
            following = request.node.stash.get(NEXT_ITEM, None)
            if not _is_matrix_row(following):  # (the next row empties the tables itself)
                _LIVE["signature"] = None
                _LIVE.pop("checked", None)
                clear_tables()
                _reset_search_index()


def _is_matrix_row(item) -> bool:
    return item is not None and getattr(item, "originalname", None) == "test_authorization_matrix"


def _by_world(rows: list[Row]) -> list[Row]:
    """Rows grouped by world signature (groups in order of first appearance; stable inside)."""
    first: dict[tuple, int] = {}
    for row in rows:
        first.setdefault(_signature(row), len(first))
    return sorted(rows, key=lambda row: first[_signature(row)])


from tests.security.conftest import NEXT_ITEM  # noqa: E402
from tests.security.scripted_figures import timed_figure  # noqa: E402


@pytest.mark.parametrize("row", [_param(row) for row in _by_world(ROWS)])
def test_authorization_matrix(matrix_db, make_client, figures, row: Row):
    """Each persona gets the expected status, and only allowed actions touch the database."""
    world: World | None = None
    before: dict | None = None
    if _LIVE["signature"] == _signature(row):
        checked = _LIVE.pop("checked", None)  # matrix_db compared it after the previous row
        built, before = (True, checked) if checked is not None else _world_as_built()
        if built is not None:
            world = _LIVE["world"]
    unexpected = []
    for persona, expected in row.cells().items():
        if world is None:
            world = _fresh_world(row)
            before = None
        client = make_client()
        if persona != "anonymous":
            set_session_cookie(client, world.session_tokens[persona])
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
        if not problem and (row.step3 or row.extra) and changed:
            problem = _ledger_problem()
            if problem is None:
                _LIVE["verified"] = after
        if problem:
            unexpected.append(f"{row.method} {url} as {persona}: {problem}")
        before = after
        if changed:
            world = None  # the next persona gets a fresh world
            _LIVE["signature"] = None
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


_timed = timed_figure("authz_matrix")  # elapsed time of this figure's tests
