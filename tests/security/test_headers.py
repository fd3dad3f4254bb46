"""S6: security headers on every kind of response (ASVS 5.0 V3.4.1–3.4.6), and templates that
the Content-Security-Policy can afford (no inline script, style or event handlers)."""

from __future__ import annotations

import re

import pytest

from marketplace.config import PROJECT_ROOT
from tests.security.helpers import quick_user, sign_in
from tests.security.scripted_figures import scripted_figure

_figure = scripted_figure(
    "S6", "S6 headers (CSP object-src, base-uri, frame-ancestors; HSTS, nosniff, Referrer-Policy on pages, errors, redirects and static files; no inline script): responses missing a header")

TEMPLATES = PROJECT_ROOT / "templates"


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            directives[tokens[0].lower()] = tokens[1:]
    return directives


RESPONSES = {
    "page": ("GET", "/", 200),
    "signed-in page": ("GET", "/dashboard", 200),
    "error page (404)": ("GET", "/no-such-page", 404),
    "redirect (302)": ("GET", "/office/", 302),
    "JSON API": ("GET", "/api/v1/districts", 200),
    "JSON API error (404)": ("GET", "/api/v1/organizations/999999", 404),
    "JSON API 401": ("GET", "/api/v1/me", 401),
    "method not allowed (405)": ("GET", "/auth/logout", 405),
    "static file": ("GET", "/static/css/app.css", 200),
    "bad request (400)": ("GET", "/auth/reset/not-a-token", 400),
}


@pytest.fixture
def responses(db, make_client):
    user = quick_user()
    db.session.commit()
    signed_in = make_client()
    sign_in(signed_in, user.email)
    anonymous = make_client()
    result = {}
    for name, (method, url, status) in RESPONSES.items():
        client = signed_in if name == "signed-in page" else anonymous
        response = client.open(url, method=method)
        response.get_data()  # read the body (a file for static responses), then release it
        response.close()
        assert response.status_code == status, (name, response.status_code)
        result[name] = response
    return result


@pytest.mark.parametrize("name", list(RESPONSES))
def test_content_security_policy(responses, name):
    csp = csp_directives(responses[name].headers["Content-Security-Policy"])
    assert csp.get("object-src") == ["'none'"]
    assert csp.get("base-uri") == ["'none'"]
    assert csp.get("frame-ancestors") == ["'self'"]
    script_src = csp.get("script-src") or csp.get("default-src")
    assert script_src, "no script-src or default-src"
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(
        s.lower() for s in script_src
    )
    assert "'unsafe-inline'" not in (csp.get("style-src") or csp.get("default-src") or [])
    assert csp.get("default-src") == ["'self'"]


@pytest.mark.parametrize("name", list(RESPONSES))
def test_transport_and_sniffing_headers(responses, name):
    headers = responses[name].headers
    hsts = [p.strip().lower() for p in headers["Strict-Transport-Security"].split(";")]
    max_age = int(next(p for p in hsts if p.startswith("max-age=")).split("=", 1)[1])
    assert max_age >= 31_536_000
    assert "includesubdomains" in hsts
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in (
        "strict-origin-when-cross-origin",
        "no-referrer",
        "same-origin",
        "strict-origin",
    )
    assert headers.get("X-Frame-Options", "SAMEORIGIN").upper() in ("SAMEORIGIN", "DENY")


def test_html_is_not_cached_and_has_the_right_type(responses):
    for name in ("page", "signed-in page", "error page (404)", "method not allowed (405)"):
        response = responses[name]
        assert response.mimetype == "text/html", name
        assert response.headers.get("Cache-Control") == "no-store", name
        assert "charset=utf-8" in response.headers["Content-Type"].lower(), name
    for name in ("JSON API", "JSON API error (404)", "JSON API 401"):
        assert responses[name].mimetype == "application/json", name


def test_rendered_pages_have_no_inline_script_or_style(responses):
    for name in (
        "page",
        "signed-in page",
        "error page (404)",
        "method not allowed (405)",
        "bad request (400)",
    ):
        page = responses[name].get_data(as_text=True)
        assert_no_inline_code(page, name)


# ---------------------------------------------------------------------------------------------
# the templates themselves
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
STYLE_BLOCK = re.compile(r"<style\b", re.I)
STYLE_ATTRIBUTE = re.compile(r"""<[a-zA-Z][^>]*\sstyle\s*=""", re.S)
HANDLER_ATTRIBUTE = re.compile(r"""<[a-zA-Z][^>]*?\son[a-z]+\s*=""", re.I | re.S)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)


def assert_no_inline_code(text: str, where: str) -> None:
    for attributes, body in SCRIPT_TAG.findall(text):
        assert "src=" in attributes.lower(), f"{where}: inline <script> block"
        assert not body.strip(), f"{where}: <script src> with inline code"
    assert not STYLE_BLOCK.search(text), f"{where}: <style> block"
    assert not STYLE_ATTRIBUTE.search(text), f"{where}: style= attribute"
    assert not HANDLER_ATTRIBUTE.search(text), f"{where}: on...= event handler attribute"
    assert not JAVASCRIPT_URL.search(text), f"{where}: javascript: URL"


def template_files():
    return sorted(p for p in TEMPLATES.rglob("*") if p.is_file())


def test_templates_exist():
    assert len(template_files()) >= 10


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_has_no_inline_script_style_or_handlers(path):
    assert_no_inline_code(path.read_text(encoding="utf-8"), str(path.relative_to(TEMPLATES)))


def test_probe_patterns_catch_what_they_should():
    """The scanner itself: each forbidden construct is detected, harmless text is not."""
    for bad in (
        "<script>alert(1)</script>",
        '<div style="color:red">',
        "<img src=x onerror=a()>",
        '<a href="javascript:alert(1)">',
        '<button\n  onclick="x()">',
        "<style>p{}</style>",
    ):
        with pytest.raises(AssertionError):
            assert_no_inline_code(bad, "probe")
    assert_no_inline_code(
        '<script src="/static/app.js"></script><p>one=two, on=off</p>'
        '<input data-on="x" class="form-control">',
        "probe",
    )
