"""S5: open redirects (ASVS 5.0 V3.7.2; CTFd test_is_safe_url_open_redirect_payloads, Redash).

Every payload must be refused by ``marketplace.security.is_safe_redirect`` (False, never an
exception) and, through the real flows (``/auth/login?next=`` with valid credentials, the
signed-in shortcut of the login page, and ``POST /language``), must produce a same-site Location.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from marketplace.security import is_safe_redirect, safe_next
from tests.security.helpers import quick_user, sign_in
from tests.security.scripted_figures import timed_figure

PAYLOADS = [
    # scheme-relative, extra slashes, backslashes
    "//evil.com",
    "///evil.com",
    "////evil.com",
    "//evil.com/",
    "//evil.com/%2f..",
    "///evil.com/%2f..",
    "////evil.com/%2f%2e%2e",
    "/\\evil.com",
    "\\\\evil.com",
    "\\/evil.com",
    "/\\/evil.com",
    "//\\evil.com",
    "\\evil.com",
    "/\\\\evil.com",
    "//",
    "/\\",
    # absolute URLs and host-only strings
    "https://evil.com",
    "http://evil.com",
    "HTTPS://EVIL.COM",
    "https:evil.com",
    "http:evil.com",
    "http:/evil.com",
    "https:/\\evil.com",
    "http:\\\\evil.com",
    "ftp://evil.com",
    " https://evil.com",
    "https://evil.com/dashboard",
    "evil.com",
    "evil.com/dashboard",
    "www.evil.com",
    "@evil.com",
    ".evil.com",
    "dashboard",
    # script and data schemes
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://%0aalert(1)",
    "javascript://evil.com/%0aalert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "mailto:a@evil.com",
    # control characters that browsers strip (raw and percent-encoded)
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r/evil.com",
    "/\r\n/evil.com",
    "\t//evil.com",
    "\x0b//evil.com",
    "/\x0c/evil.com",
    "/\x00/evil.com",
    "\x00//evil.com",
    "/%09/evil.com",
    "/%0a/evil.com",
    "/%0D/evil.com",
    "/%00/evil.com",
    "/%2f/evil.com",
    "/%2F%2Fevil.com",
    "/%5cevil.com",
    "/%5C/evil.com",
    "%2f%2fevil.com",
    "/%252f%252fevil.com",
    # userinfo tricks
    "https://app@evil.com",
    "https://localhost@evil.com",
    "//evil.com@localhost",
    "//localhost@evil.com",
    "https://evil.com#@localhost",
    "https://evil.com?@localhost",
    "https://localhost.evil.com",
    "https://evil.com\\@localhost",
    "//evil.com\\@localhost",
    "http://localhost:80@evil.com",
    # unicode: bidi override, invisible characters, look-alike slashes
    "/\u202e/moc.live",
    "\u202e//evil.com",
    "/\u200b/evil.com",
    "/\ufeff/evil.com",
    "/\u2028/evil.com",
    "/\u2029/evil.com",
    "\uff0f\uff0fevil.com",
    "/\uff0fevil.com",
    "\u2215\u2215evil.com",
    "\u29f8\u29f8evil.com",
    "/\uff3cevil.com",
    "\uff3c\uff3cevil.com",
    "//evil\u3002com",
    "//\uff45\uff56\uff49\uff4c.com",
    # numeric and bracketed hosts
    "//2130706433",
    "//0x7f.1",
    "//0x7f000001",
    "//017700000001",
    "//127.1",
    "//[::1]",
    "//[::ffff:127.0.0.1]",
    "http://[::1]",
    "https://2130706433",
    "//0177.0.0.1",
    "http://0x7f.0x0.0x0.0x1",
    "//evil.com:80",
    "//evil.com:443/dashboard",
    # malformed (urlsplit raises on some of these)
    "//[",
    "http://[",
    "http://[::1",
    "//[::1",
    "https://[evil.com]",
    "[::1]",
    ":",
    "",
    # very long
    "/" + "a" * 5000,
    "//" + "a" * 3000 + ".com",
    "/" + "%2f" * 1000 + "evil.com",
]

SAFE_TARGETS = [
    "/dashboard",
    "/organizations/3?x=1",
    "/organizations/?kind=enterprise&district=140403",
    "/organizations/?q=%E9%95%BF%E6%B2%BB",
    "/organizations/?next=%2Fdashboard",
    "/auth/account#sessions",
]


def is_same_site(location: str) -> bool:
    """A path starting with exactly one slash, with no scheme, host or backslash."""
    if not location.startswith("/") or location.startswith("//") or "\\" in location:
        return False
    parts = urlsplit(location)
    return not parts.scheme and not parts.netloc and all(ord(ch) > 0x20 for ch in location)


def test_corpus_is_large_and_distinct():
    assert len(PAYLOADS) >= 90
    assert len(set(PAYLOADS)) == len(PAYLOADS)


def test_is_safe_redirect_refuses_every_payload(figures):
    accepted = [p for p in PAYLOADS if is_safe_redirect(p) is not False]
    figures["open_redirect"]["payloads"] = len(PAYLOADS)
    figures["open_redirect"]["refused"] = len(PAYLOADS) - len(accepted)
    assert accepted == []
    assert is_safe_redirect(None) is False


@pytest.mark.parametrize("target", SAFE_TARGETS)
def test_is_safe_redirect_accepts_same_site_paths(target, figures):
    assert is_safe_redirect(target) is True
    assert safe_next(target, "/fallback") == target
    figures["open_redirect"]["accepted"] += 1


def test_login_next_never_leaves_the_site(db, make_client, figures):
    """POST valid credentials to /auth/login?next=<payload>: Location is the dashboard."""
    user = quick_user()
    db.session.commit()
    bad = []
    for payload in PAYLOADS:
        response = sign_in(make_client(), user.email, next_url=payload)
        location = response.headers["Location"]
        if not is_same_site(location) or location != "/dashboard":
            bad.append((payload, location))
    figures["open_redirect"]["login_flow"] = len(PAYLOADS)
    assert bad == []


def test_login_page_when_signed_in_never_leaves_the_site(db, client):
    """GET /auth/login?next=<payload> by a signed-in user redirects at once; same check."""
    user = quick_user()
    db.session.commit()
    sign_in(client, user.email)
    bad = []
    for payload in PAYLOADS:
        response = client.get("/auth/login?next=" + quote(payload, safe=""))
        if response.status_code != 302 or response.headers["Location"] != "/dashboard":
            bad.append((payload, response.status_code, response.headers.get("Location")))
    assert bad == []


def test_language_switch_next_never_leaves_the_site(db, make_client, figures):
    anonymous, member = make_client(), make_client()
    user = quick_user()
    db.session.commit()
    sign_in(member, user.email)
    bad = []
    for client in (anonymous, member):
        for payload in PAYLOADS:
            response = client.post("/language", data={"lang": "en", "next": payload})
            location = response.headers.get("Location", "")
            if response.status_code != 302 or not is_same_site(location) or location != "/":
                bad.append((payload, response.status_code, location))
    figures["open_redirect"]["language"] = len(PAYLOADS)
    assert bad == []


@pytest.mark.parametrize("target", SAFE_TARGETS)
def test_same_site_targets_are_followed(db, make_client, target):
    user = quick_user()
    db.session.commit()
    response = sign_in(make_client(), user.email, next_url=target)
    assert response.headers["Location"] == target
    response = make_client().post("/language", data={"lang": "en", "next": target})
    assert response.headers["Location"] == target


_timed = timed_figure("open_redirect")  # elapsed time of this figure's tests
