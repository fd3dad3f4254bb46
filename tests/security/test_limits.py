"""S8-lite: request size limits and bad input on every form (ASVS 5.0 V5.2.1, V2.2.1).

Oversized requests get the 413 error page; bad input (empty, too long, malformed, duplicate,
mismatched) gets the form back with an error, or a 4xx, never a 500, and never writes a row.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.test import EnvironBuilder, stream_encode_multipart

from marketplace.organizations.credit_code import complete
from marketplace.organizations.models import VerificationStatus
from tests.security.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    PNG,
    World,
    build_world,
    diff_tables,
    error_page_message,
    has_form_error,
    instrument_form,
    local_day,
    organization_form,
    sign_in,
    snapshot,
)

LONG_EMAIL = "a" * 300 + "@example.cn"
COMMON_PASSWORD = "password123"


def too_large_message(app) -> str:
    handler = app.error_handler_spec[None][None][HTTPException]
    with app.test_request_context("/", method="POST"):
        body, status = handler(RequestEntityTooLarge())
    assert status == 413
    return error_page_message(body)


def post_raw(client, url: str, body: bytes, content_type: str, **kwargs):
    builder = EnvironBuilder(
        path=url, method="POST", data=body, content_type=content_type, **kwargs
    )
    try:
        response = client.open(builder)
    finally:
        builder.close()
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize(
    ("url", "persona"),
    [("/auth/login", "anonymous"), ("/language", "anonymous"), ("/organizations/new", "plain")],
)
def test_body_over_max_content_length_is_413(app, db, make_client, url, persona):
    world = build_world()
    client = make_client()
    if persona != "anonymous":
        sign_in(client, world.email(persona))
    before = snapshot()
    body = b"name_zh=" + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = post_raw(client, url, body, "application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert error_page_message(response.get_data(as_text=True)) == too_large_message(app)
    json_response = post_raw(
        client,
        url,
        body,
        "application/x-www-form-urlencoded",
        headers={"Accept": "application/json"},
    )
    assert json_response.status_code == 413
    assert json_response.get_json()["error"]["code"] == "too_large"
    assert diff_tables(before, snapshot()) == []


def test_multipart_field_over_form_memory_limit_is_413(app, db, make_client):
    world = build_world()
    client = make_client()
    sign_in(client, world.email("plain"))
    before = snapshot()
    data = organization_form(description="长" * app.config["MAX_FORM_MEMORY_SIZE"])
    # Encoded in memory: Werkzeug's test builder would spool a body this big to a temporary
    # file that nobody closes (a ResourceWarning, an error under filterwarnings=error).
    stream, _, boundary = stream_encode_multipart(data, use_tempfile=False)
    response = post_raw(
        client, "/organizations/new", stream.getvalue(), f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert error_page_message(response.get_data(as_text=True)) == too_large_message(app)
    assert diff_tables(before, snapshot()) == []


def test_multipart_with_too_many_parts_is_413(app, db, client):
    data = {f"field{i}": "x" for i in range(app.config["MAX_FORM_PARTS"] + 1)}
    builder = EnvironBuilder(
        path="/auth/login", method="POST", data=data, content_type="multipart/form-data"
    )
    try:
        response = client.open(builder)
    finally:
        builder.close()
    assert response.status_code == 413


def test_urlencoded_form_over_form_memory_limit_is_413(app, db, make_client):
    client = make_client()
    body = b"email=a%40b.cn&password=" + b"x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)
    response = post_raw(client, "/auth/login", body, "application/x-www-form-urlencoded")
    assert response.status_code == 413


# ---------------------------------------------------------------------------------------------
# bad input on every form
def _wrong_check_character(code: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return code[:17] + next(ch for ch in alphabet if ch != code[17])


@dataclass(frozen=True)
class FormCases:
    name: str
    endpoint: str
    persona: str
    url: Callable[[World], str]
    cases: dict[str, Callable[[World], dict]]
    org_a_status: VerificationStatus = VerificationStatus.VERIFIED
    target_active: bool = True  # the admin routes' target account
    listing_status: str | None = None  # instruments with photos for orgs A and B
    redirect_ok: bool = False  # button-style forms answer a redirect (with a flash) on bad input
    step3: bool = False  # the bookings/vouchers/settlement world (helpers.build_step3)
    extra: Callable[[World], None] | None = None  # step 4: builds more, ids in w.extra


def register(email="newcomer@example.cn", name="新用户", password=NEW_PASSWORD, confirm=None):
    return {
        "email": email,
        "display_name": name,
        "password": password,
        "confirm": password if confirm is None else confirm,
    }


def passwords(password, confirm=None, **extra):
    return {"password": password, "confirm": password if confirm is None else confirm, **extra}


def booking(w, **changes):
    """A valid confirmed booking by org B of a free hour of listing_a, paid with vouchers."""
    return {
        "day": local_day(3).isoformat(),
        "starts_at": "14:00",
        "ends_at": "15:00",
        "organization_id": str(w.org_b_id),
        "programme_id": str(w.programmes["open"]),
        "purpose": "断口分析",
        "request_key": "limits:new-booking",
        "confirm": "y",
        **changes,
    }


def programme(**changes):
    return {
        "name_zh": "矩阵新建创新券",
        "validity_days": "90",
        "layers-0-name_zh": "市级财政",
        "layers-0-share_bp": "50",
        "layers-0-budget_fen": "100000",
        **changes,
    }


def programme_edit(w, **changes):
    first, second = w.layers
    return {
        "name_zh": "改名的创新券",
        "validity_days": "60",
        f"budget_{first}": "100000",
        f"budget_{second}": "40000",
        **changes,
    }


def quota(w, **changes):
    return {
        "organization_id": str(w.org_b_id),
        "requested_fen": "3000",
        "purpose": "检测",
        **changes,
    }


def settlement_batch(w, **changes):
    return {
        "programme_id": str(w.programmes["open"]),
        "period_start": local_day(-30).isoformat(),
        "period_end": local_day(0).isoformat(),
        **changes,
    }


# fmt: off
FORMS = [
    FormCases("register", "auth.register", "anonymous", lambda w: "/auth/register", {
        "empty": lambda w: {},
        "blank": lambda w: register(email="  ", name="   ", password="", confirm=""),
        "email too long": lambda w: register(email=LONG_EMAIL),
        "email malformed": lambda w: register(email="not-an-email"),
        "name too long": lambda w: register(name="名" * 81),
        "password too short": lambda w: register(password="abc12"),
        "password too long": lambda w: register(password="x" * 129 + "y"),
        "password common": lambda w: register(password=COMMON_PASSWORD),
        "password is the e-mail": lambda w: register(email="lihua@example.cn",
                                                     password="lihua@example.cn"),
        "passwords differ": lambda w: register(confirm=NEW_PASSWORD + "!"),
        "duplicate e-mail": lambda w: register(email=w.email("plain")),
        "duplicate e-mail, other case": lambda w: register(email=w.email("plain").upper()),
        "duplicate e-mail, mixed case": lambda w: register(email=w.email("plain").title()),
    }),
    FormCases("login", "auth.login", "anonymous", lambda w: "/auth/login", {
        "empty": lambda w: {},
        "email too long": lambda w: {"email": LONG_EMAIL, "password": PASSWORD},
        "password too long": lambda w: {"email": w.email("plain"), "password": "x" * 129},
        "wrong password": lambda w: {"email": w.email("plain"), "password": PASSWORD + "x"},
        "unknown e-mail": lambda w: {"email": "nobody@example.cn", "password": PASSWORD},
        "deactivated account": lambda w: {"email": w.target_email, "password": PASSWORD},
    }, target_active=False),
    FormCases("request reset", "auth.request_reset", "anonymous", lambda w: "/auth/reset", {
        "empty": lambda w: {},
        "malformed": lambda w: {"email": "x"},
        "too long": lambda w: {"email": LONG_EMAIL},
    }),
    FormCases("reset password", "auth.reset_password", "anonymous", lambda w: f"/auth/reset/{w.reset_token}", {
        "empty": lambda w: {},
        "passwords differ": lambda w: passwords(NEW_PASSWORD, NEW_PASSWORD + "!"),
        "too short": lambda w: passwords("abc12"),
        "too long": lambda w: passwords("x" * 129 + "y"),
        "common": lambda w: passwords(COMMON_PASSWORD),
        "is the e-mail": lambda w: passwords(w.target_email),
    }),
    FormCases("reset password, bad token", "auth.reset_password", "anonymous", lambda w: "/auth/reset/x.y.z", {
        "valid input": lambda w: passwords(NEW_PASSWORD),
        "empty": lambda w: {},
    }),
    FormCases("change password", "auth.change_password", "plain", lambda w: "/auth/password", {
        "empty": lambda w: {},
        "wrong current": lambda w: passwords(NEW_PASSWORD, current_password=PASSWORD + "x"),
        "passwords differ": lambda w: passwords(NEW_PASSWORD, NEW_PASSWORD + "!",
                                                current_password=PASSWORD),
        "too short": lambda w: passwords("abc12", current_password=PASSWORD),
        "too long": lambda w: passwords("x" * 129 + "y", current_password=PASSWORD),
        "current too long": lambda w: passwords(NEW_PASSWORD, current_password="x" * 129),
        "common": lambda w: passwords(COMMON_PASSWORD, current_password=PASSWORD),
        "same as current": lambda w: passwords(PASSWORD, current_password=PASSWORD),
    }),
    FormCases("register organisation", "organizations.create", "plain", lambda w: "/organizations/new", {
        "empty": lambda w: {},
        "blank name": lambda w: organization_form(name_zh="   "),
        "name too long": lambda w: organization_form(name_zh="名" * 201),
        "english name too long": lambda w: organization_form(name_en="n" * 201),
        "credit code check character": lambda w: organization_form(
            _wrong_check_character(w.org_a_credit_code)),
        "credit code length": lambda w: organization_form("91140403MA0K7U2X3"),
        "credit code letters I O S V Z": lambda w: organization_form("91140403MA0K7ISOVZ"),
        "credit code division": lambda w: organization_form(complete("91ABCDEFMA0K7U2X3")),
        "credit code too long": lambda w: organization_form("9" * 41),
        "duplicate credit code": lambda w: organization_form(w.org_a_credit_code),
        "duplicate credit code, lower case and spaces": lambda w: organization_form(
            " " + w.org_a_credit_code[:9].lower() + " " + w.org_a_credit_code[9:].lower()),
        "unknown kind": lambda w: organization_form(kind="alien"),
        "programme office by a non-admin": lambda w: organization_form(kind="programme_office"),
        "unknown industry": lambda w: organization_form(industry="Z"),
        "unknown district": lambda w: organization_form(district_code="999999"),
        "unknown size": lambda w: organization_form(size="huge"),
        "description too long": lambda w: organization_form(description="长" * 5001),
        "needs too long": lambda w: organization_form(needs="长" * 5001),
        "controller too long": lambda w: organization_form(actual_controller="长" * 201),
        "address too long": lambda w: organization_form(address="长" * 301),
        "phone with letters": lambda w: organization_form(contact_phone="call me maybe"),
        "phone too long": lambda w: organization_form(contact_phone="1" * 31),
        "website without http": lambda w: organization_form(website="www.example.cn"),
        "website javascript:": lambda w: organization_form(website="javascript:alert(1)"),
        "website too long": lambda w: organization_form(website="https://" + "a" * 200 + ".cn"),
    }),
    FormCases("edit organisation", "organizations.edit", "owner_a", lambda w: f"/organizations/{w.org_a_id}/edit", {
        # "empty" is test_empty_post_to_edit_changes_nothing below (a reported app bug)
        "blank name": lambda w: organization_form(w.org_a_credit_code, name_zh=" "),
        "credit code of org B": lambda w: organization_form(w.org_b_credit_code),
        "credit code check character": lambda w: organization_form(
            _wrong_check_character(w.org_a_credit_code)),
        "name too long": lambda w: organization_form(w.org_a_credit_code, name_zh="名" * 201),
        "programme office by a non-admin": lambda w: organization_form(
            w.org_a_credit_code, kind="programme_office"),
        "website javascript:": lambda w: organization_form(w.org_a_credit_code,
                                                           website="javascript:alert(1)"),
    }),
    FormCases("add member", "organizations.members", "owner_a", lambda w: f"/organizations/{w.org_a_id}/members", {
        "empty": lambda w: {},
        "unknown e-mail": lambda w: {"email": "nobody@example.cn", "role": "member"},
        "deactivated account": lambda w: {"email": w.target_email, "role": "member"},
        "already a member, other case": lambda w: {"email": w.email("member_a").upper(),
                                                   "role": "member"},
        "unknown role": lambda w: {"email": w.email("plain"), "role": "admin"},
        "e-mail too long": lambda w: {"email": LONG_EMAIL, "role": "member"},
    }, target_active=False),
    FormCases("reject organisation", "office.reject", "officer",
              lambda w: f"/office/organizations/{w.org_a_id}/reject", {
                  "empty": lambda w: {},
                  "blank reason": lambda w: {"reason": "   "},
                  "reason too long": lambda w: {"reason": "长" * 2001},
              }, org_a_status=VerificationStatus.PENDING),
    FormCases("site role", "office.set_role", "admin", lambda w: f"/office/users/{w.target_id}/role", {
        "empty": lambda w: {},
        "unknown role": lambda w: {"role": "superuser"},
    }, redirect_ok=True),
    FormCases("deactivate", "office.deactivate", "admin", lambda w: f"/office/users/{w.uid('plain')}/deactivate", {
        "reason too long": lambda w: {"reason": "长" * 501},
    }, redirect_ok=True),
    FormCases("create listing", "publishing.create", "member_a",
              lambda w: "/listings/new/instrument", {
                  "empty": lambda w: {},
                  "no title": lambda w: instrument_form(w.org_a_id, title_zh="", title_en=""),
                  "title too long": lambda w: instrument_form(w.org_a_id, title_zh="题" * 201),
                  "another organisation": lambda w: instrument_form(w.org_b_id),
                  "unknown category": lambda w: instrument_form(w.org_a_id,
                                                                instrument_category="magic"),
                  "unknown district": lambda w: instrument_form(w.org_a_id,
                                                                district_code="999999"),
                  "money not a number": lambda w: instrument_form(w.org_a_id,
                                                                  rate_external_fen="abc"),
                  "negative money": lambda w: instrument_form(w.org_a_id, rate_internal_fen="-5"),
                  "too many decimals": lambda w: instrument_form(w.org_a_id,
                                                                 rate_internal_fen="1.234"),
                  "opening hours": lambda w: instrument_form(w.org_a_id, hours_0="25:00-26:00"),
                  "booking length": lambda w: instrument_form(
                      w.org_a_id, min_booking_minutes="600", max_booking_minutes="60"),
                  "closed date": lambda w: instrument_form(w.org_a_id, closed_dates="2027-13-45"),
                  "contact e-mail": lambda w: instrument_form(w.org_a_id, contact_email="x"),
                  "description too long": lambda w: instrument_form(w.org_a_id,
                                                                    description="长" * 20001),
              }, listing_status="published"),
    FormCases("edit listing", "publishing.edit", "member_a",
              lambda w: f"/listings/{w.listing_a}/edit", {
                  "empty": lambda w: {},
                  "title too long": lambda w: instrument_form(w.org_a_id, title_zh="题" * 201),
                  "money not a number": lambda w: instrument_form(w.org_a_id,
                                                                  rate_external_fen="abc"),
                  "no title": lambda w: instrument_form(w.org_a_id, title_zh="", title_en=""),
              }, listing_status="published"),
    FormCases("listing photos", "publishing.photos", "member_a",
              lambda w: f"/listings/{w.listing_a}/photos", {
                  "empty": lambda w: {},
                  "not an image": lambda w: {"photo": (io.BytesIO(b"MZ\x90\x00" * 40), "a.png")},
                  "wrong extension": lambda w: {"photo": (io.BytesIO(PNG), "a.exe")},
                  "caption too long": lambda w: {"photo": (io.BytesIO(PNG), "a.png"),
                                                 "caption": "长" * 201},
                  "svg": lambda w: {"photo": (io.BytesIO(b"<svg onload=alert(1)>"), "a.png")},
              }, listing_status="published"),
    FormCases("language", "main.set_language", "anonymous", lambda w: "/language", {
        "empty": lambda w: {},
        "unknown language": lambda w: {"lang": "xx"},
        "too long": lambda w: {"lang": "x" * 10_000, "next": "/" + "x" * 10_000},
    }, redirect_ok=True),
    # --- step 3: bookings (other_org books org A's listing_a; owner_a runs the lab) -------------
    FormCases("book an instrument", "bookings.create", "other_org",
              lambda w: f"/instruments/{w.listing_a}/book", {
                  "empty": lambda w: {"confirm": "y"},
                  "garbage date": lambda w: booking(w, day="2027-02-30"),
                  "date out of range": lambda w: booking(w, day="1899-01-01"),
                  "garbage time": lambda w: booking(w, starts_at="9 o'clock"),
                  "24:30": lambda w: booking(w, ends_at="24:30"),
                  "end before start": lambda w: booking(w, starts_at="15:00", ends_at="14:00"),
                  "off the grid": lambda w: booking(w, starts_at="14:10", ends_at="15:10"),
                  "shorter than the minimum": lambda w: booking(w, ends_at="14:30"),
                  "longer than the maximum": lambda w: booking(w, starts_at="06:00",
                                                               ends_at="18:00"),
                  "in the past": lambda w: booking(w, day=local_day(-1).isoformat()),
                  "beyond the horizon": lambda w: booking(w, day=local_day(200).isoformat()),
                  "slot taken": lambda w: booking(w, day=local_day(2).isoformat(),
                                                  starts_at="09:00", ends_at="10:00"),
                  "another organisation": lambda w: booking(w, organization_id=str(w.org_a_id)),
                  "unknown organisation": lambda w: booking(w, organization_id="999999"),
                  "programme without quota": lambda w: booking(
                      w, programme_id=str(w.programmes["fresh"])),
                  "unknown programme": lambda w: booking(w, programme_id="999999"),
                  "missing request key": lambda w: booking(w, request_key=""),
                  "request key too long": lambda w: booking(w, request_key="k" * 65),
                  "purpose too long": lambda w: booking(w, purpose="长" * 2001),
              }, step3=True),
    FormCases("cancel a booking", "bookings.cancel", "other_org",
              lambda w: f"/bookings/{w.bookings['requested']}/cancel", {
                  "reason too long": lambda w: {"reason": "长" * 1001},
              }, step3=True),
    FormCases("reject a booking", "bookings.reject", "owner_a",
              lambda w: f"/bookings/{w.bookings['requested']}/reject", {
                  "empty": lambda w: {},
                  "blank reason": lambda w: {"reason": "   "},
                  "reason too long": lambda w: {"reason": "长" * 1001},
              }, step3=True),
    FormCases("record usage", "bookings.complete", "owner_a",
              lambda w: f"/bookings/{w.bookings['started']}/complete", {
                  "empty": lambda w: {},
                  "not a number": lambda w: {"actual_minutes": "abc"},
                  "zero": lambda w: {"actual_minutes": "0"},
                  "negative": lambda w: {"actual_minutes": "-5"},
                  "far more than booked": lambda w: {"actual_minutes": "600"},
                  "huge": lambda w: {"actual_minutes": "99999999999999999999"},
                  "note too long": lambda w: {"actual_minutes": "60", "usage_note": "长" * 2001},
                  "invoice too long": lambda w: {"actual_minutes": "60",
                                                 "invoice_number": "9" * 61},
              }, step3=True),
    FormCases("record training", "bookings.grant_qualification", "owner_a",
              lambda w: f"/instruments/{w.listing_a}/qualifications", {
                  "empty": lambda w: {},
                  "malformed e-mail": lambda w: {"email": "not an address"},
                  "unknown e-mail": lambda w: {"email": "nobody@example.cn"},
                  "e-mail too long": lambda w: {"email": LONG_EMAIL},
                  "note too long": lambda w: {"email": w.email("plain"), "note": "长" * 301},
              }, step3=True),
    # --- step 3: vouchers ---------------------------------------------------------------------
    FormCases("apply for quota", "vouchers.apply", "other_org",
              lambda w: f"/vouchers/programmes/{w.programmes['fresh']}/apply", {
                  "empty": lambda w: {},
                  "negative": lambda w: quota(w, requested_fen="-100"),
                  "zero": lambda w: quota(w, requested_fen="0"),
                  "not a number": lambda w: quota(w, requested_fen="一万"),
                  "too many decimals": lambda w: quota(w, requested_fen="100.005"),
                  "absurdly large": lambda w: quota(w, requested_fen="9" * 40),
                  "no purpose": lambda w: quota(w, purpose=""),
                  "purpose too long": lambda w: quota(w, purpose="长" * 2001),
                  "org A (a university)": lambda w: quota(w, organization_id=str(w.org_a_id)),
                  "unknown organisation": lambda w: quota(w, organization_id="999999"),
              }, step3=True),
    FormCases("apply for admission", "vouchers.apply_admission", "owner_a",
              lambda w: f"/vouchers/programmes/{w.programmes['fresh']}/admission", {
                  "empty": lambda w: {},
                  "org B (not one's own)": lambda w: {"organization_id": str(w.org_b_id)},
                  "note too long": lambda w: {"organization_id": str(w.org_a_id),
                                              "note": "长" * 2001},
              }, step3=True),
    FormCases("grant quota", "vouchers.grant", "officer",
              lambda w: f"/vouchers/applications/{w.applications['submitted']}/grant", {
                  "empty": lambda w: {},
                  "negative": lambda w: {"amount_fen": "-1"},
                  "zero": lambda w: {"amount_fen": "0"},
                  "not a number": lambda w: {"amount_fen": "abc"},
                  "too many decimals": lambda w: {"amount_fen": "1.234"},
                  "more than asked": lambda w: {"amount_fen": "5000.01"},
                  "note too long": lambda w: {"amount_fen": "1000", "note": "长" * 2001},
              }, step3=True),
    FormCases("refuse quota", "vouchers.refuse", "officer",
              lambda w: f"/vouchers/applications/{w.applications['submitted']}/refuse", {
                  "empty": lambda w: {},
                  "blank reason": lambda w: {"reason": "   "},
                  "reason too long": lambda w: {"reason": "长" * 2001},
              }, step3=True),
    FormCases("declare a relation", "vouchers.relations", "other_org",
              lambda w: f"/vouchers/organizations/{w.org_b_id}/relations", {
                  "empty": lambda w: {},
                  "unknown organisation": lambda w: {"related": "91140400MA0K7U2X3F",
                                                     "description": "x"},
                  "itself": lambda w: {"related": w.org_b_credit_code, "description": "自己"},
                  "no description": lambda w: {"related": w.org_a_credit_code, "description": ""},
                  "description too long": lambda w: {"related": w.org_a_credit_code,
                                                     "description": "长" * 301},
                  "related too long": lambda w: {"related": "9" * 201, "description": "x"},
              }, step3=True),
    FormCases("create a programme", "vouchers.create_programme", "officer",
              lambda w: "/vouchers/programmes/new", {
                  "empty": lambda w: {},
                  "no layers": lambda w: programme(**{"layers-0-name_zh": "",
                                                      "layers-0-share_bp": "",
                                                      "layers-0-budget_fen": ""}),
                  "name too long": lambda w: programme(name_zh="名" * 201),
                  "share above 100": lambda w: programme(**{"layers-0-share_bp": "120"}),
                  "share with three decimals": lambda w: programme(
                      **{"layers-0-share_bp": "12.345"}),
                  "shares over 100 %": lambda w: programme(
                      **{"layers-1-name_zh": "县区", "layers-1-share_bp": "60",
                         "layers-1-budget_fen": "1", "layers-0-share_bp": "60"}),
                  "negative budget": lambda w: programme(**{"layers-0-budget_fen": "-5"}),
                  "zero validity": lambda w: programme(validity_days="0"),
                  "end before start": lambda w: programme(starts_on="2027-06-01",
                                                          ends_on="2027-05-01"),
                  "unknown category": lambda w: programme(eligible_categories=["teleportation"]),
              }, step3=True),
    FormCases("edit a programme", "vouchers.edit_programme", "officer",
              lambda w: f"/vouchers/programmes/{w.programmes['open']}/edit", {
                  "empty": lambda w: {},
                  "budget below what was issued": lambda w: programme_edit(
                      w, **{f"budget_{w.layers[0]}": "1"}),
                  "negative budget": lambda w: programme_edit(w, **{f"budget_{w.layers[0]}": "-1"}),
                  "not a number": lambda w: programme_edit(w, validity_days="ninety"),
                  "blank name": lambda w: programme_edit(w, name_zh="  "),
                  "end before start": lambda w: programme_edit(w, starts_on="2027-06-01",
                                                               ends_on="2027-05-01"),
              }, step3=True),
    FormCases("decide an admission", "vouchers.admission", "officer",
              lambda w: f"/vouchers/admissions/{w.admission}", {
                  "empty": lambda w: {},
                  "back to applied": lambda w: {"status": "applied"},
                  "unknown status": lambda w: {"status": "approved-forever"},
                  "refused without a note": lambda w: {"status": "refused", "note": ""},
                  "suspended with a blank note": lambda w: {"status": "suspended", "note": " "},
                  "note too long": lambda w: {"status": "suspended", "note": "长" * 2001},
              }, step3=True),
    # --- step 3: settlement -------------------------------------------------------------------
    FormCases("create a batch", "settlement.create", "officer",
              lambda w: "/office/settlement/new", {
                  "empty": lambda w: {},
                  "end before start": lambda w: settlement_batch(
                      w, period_end=local_day(-31).isoformat()),
                  "not a date": lambda w: settlement_batch(w, period_end="next week"),
                  "unknown programme": lambda w: settlement_batch(w, programme_id="999999"),
                  "draft programme": lambda w: settlement_batch(
                      w, programme_id=str(w.programmes["draft"])),
                  "nothing to settle": lambda w: settlement_batch(
                      w, period_start="2020-01-01", period_end="2020-01-31"),
              }, step3=True),
    FormCases("invoice number", "settlement.set_invoice", "officer",
              lambda w: f"/office/settlement/{w.batches['draft']}/items/{w.items['draft']}/invoice",
              {
                  "empty": lambda w: {},
                  "blank": lambda w: {"invoice_number": "   "},
                  "too long": lambda w: {"invoice_number": "X" * 61},
              }, step3=True),
    FormCases("pay a batch", "settlement.pay", "officer",
              lambda w: f"/office/settlement/{w.batches['approved']}/pay", {
                  "empty": lambda w: {},
                  "blank": lambda w: {"reference": "   "},
                  "too long": lambda w: {"reference": "R" * 101},
              }, step3=True),
]
# fmt: on

# step 4: cases kept beside the slices that add the forms (each file imports FormCases from here)
from tests.security.limits_campaigns import CAMPAIGN_BUTTONS, CAMPAIGN_FORMS  # noqa: E402
from tests.security.limits_payments import PAYMENT_BUTTONS, PAYMENT_FORMS  # noqa: E402
from tests.security.limits_pledges import PLEDGE_BUTTONS, PLEDGE_FORMS  # noqa: E402

FORMS += PAYMENT_FORMS + CAMPAIGN_FORMS + PLEDGE_FORMS
STEP4_BUTTONS = PAYMENT_BUTTONS | CAMPAIGN_BUTTONS | PLEDGE_BUTTONS

# step 5
from tests.security.limits_conversations import CONVERSATION_BUTTONS, CONVERSATION_FORMS  # noqa: E402
from tests.security.limits_licence_fees import LICENCE_FEE_BUTTONS, LICENCE_FEE_FORMS  # noqa: E402
from tests.security.limits_licensing import LICENSING_BUTTONS, LICENSING_FORMS  # noqa: E402
from tests.security.limits_needs import NEED_BUTTONS, NEED_FORMS  # noqa: E402
from tests.security.limits_reviews import REVIEW_BUTTONS, REVIEW_FORMS  # noqa: E402
from tests.security.limits_spaces import SPACE_BUTTONS, SPACE_FORMS  # noqa: E402

FORMS += (CONVERSATION_FORMS + LICENSING_FORMS + LICENCE_FEE_FORMS + SPACE_FORMS + NEED_FORMS
          + REVIEW_FORMS)
STEP4_BUTTONS |= (CONVERSATION_BUTTONS | LICENSING_BUTTONS | LICENCE_FEE_BUTTONS | SPACE_BUTTONS
                  | NEED_BUTTONS | REVIEW_BUTTONS)

# step 6
from tests.security.limits_recommendations import (  # noqa: E402
    RECOMMENDATION_BUTTONS,
    RECOMMENDATION_FORMS,
)

FORMS += RECOMMENDATION_FORMS
STEP4_BUTTONS |= RECOMMENDATION_BUTTONS

# step 7
from tests.security.limits_integrity import INTEGRITY_BUTTONS, INTEGRITY_FORMS  # noqa: E402
from tests.security.limits_moderation import MODERATION_BUTTONS, MODERATION_FORMS  # noqa: E402
from tests.security.limits_opendata import OPENDATA_BUTTONS, OPENDATA_FORMS  # noqa: E402
from tests.security.limits_statistics import STATISTICS_BUTTONS, STATISTICS_FORMS  # noqa: E402

FORMS += STATISTICS_FORMS + INTEGRITY_FORMS + OPENDATA_FORMS + MODERATION_FORMS
STEP4_BUTTONS |= STATISTICS_BUTTONS | INTEGRITY_BUTTONS | OPENDATA_BUTTONS | MODERATION_BUTTONS


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_bad_input_gives_a_form_error_and_writes_nothing(db, make_client, figures, form):
    from tests.security.test_authz_matrix import _fresh_world

    world = _fresh_world(form, live=False)  # built once per kind of world, then restored
    client = make_client()
    if form.persona != "anonymous":
        sign_in(client, world.email(form.persona))
    url = form.url(world)
    problems = []
    for label, data in form.cases.items():
        before = snapshot()
        response = client.post(url, data=data(world))
        changed = diff_tables(before, snapshot())
        status = response.status_code
        page = response.get_data(as_text=True)
        figures["bad_input"]["cases"] += 1
        if status >= 500:
            figures["bad_input"]["errors"] += 1
            problems.append(f"{label}: server error {status}")
        elif status == 200 and not has_form_error(page):
            problems.append(f"{label}: 200 without a form error")
        elif status == 302 and not form.redirect_ok:
            problems.append(f"{label}: accepted (302 to {response.headers.get('Location')})")
        elif status not in (200, 302, 400, 404, 409, 413):
            problems.append(f"{label}: unexpected status {status}")
        if changed:
            figures["bad_input"]["writes"] += 1
            problems.append(f"{label}: wrote to {changed}")
    assert not problems, f"{form.name}:\n" + "\n".join(problems)


def test_listing_cannot_be_moved_to_another_organisation(db, make_client):
    """A crafted organization_id on the edit form is ignored (the edit form has no such field):
    the owner's other changes are saved, the listing stays with its organisation."""
    from listings.models import Listing

    world = build_world(listing_status="published")
    client = make_client()
    sign_in(client, world.email("owner_a"))
    response = client.post(
        f"/listings/{world.listing_a}/edit", data=instrument_form(world.org_b_id)
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Listing, world.listing_a).organization_id == world.org_a_id


def test_bad_input_on_every_form_route_is_covered(app):
    """Every POST route has bad-input cases above, or takes no fields at all."""
    # A CSRF-protected button: no fields, so no bad input beyond what S1 and S3 cover.
    buttons = {
        "auth.logout",
        "auth.revoke_other_sessions",
        "office.verify",
        "office.reactivate",
        "organizations.remove_member",
        "publishing.publish",
        "publishing.archive",
        "publishing.delete",
        "publishing.delete_photo",
        # step 3 (approve, no-show and payment carry only return_to, which is "lab" or ignored)
        "bookings.approve",
        "bookings.no_show",
        "bookings.record_payment",
        "bookings.calendar_link",
        "bookings.revoke_qualification",
        "vouchers.withdraw",
        "vouchers.open_programme",
        "vouchers.close_programme",
        "settlement.remove_item",
        "settlement.discard",
        "settlement.approve",
    }
    buttons |= STEP4_BUTTONS
    post_endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert post_endpoints == {form.endpoint for form in FORMS} | buttons


def test_empty_post_to_edit_changes_nothing(db, make_client):
    world = build_world()
    client = make_client()
    sign_in(client, world.email("owner_a"))
    before = snapshot()
    response = client.post(f"/organizations/{world.org_a_id}/edit", data={})
    assert response.status_code in (200, 400)
    assert diff_tables(before, snapshot()) == []


def test_registration_ignores_extra_fields(db, client):
    """Mass assignment (ASVS 15.3.3): role and status fields in the form are not copied."""
    from marketplace.auth.models import SiteRole, User

    response = client.post(
        "/auth/register",
        data={
            **register(email="extra@example.cn"),
            "site_role": "admin",
            "is_active": "false",
            "email_verified": "1",
            "id": "1",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.scalar(db.select(User).where(User.email == "extra@example.cn"))
    assert user.site_role == SiteRole.USER
    assert user.is_active is True
