"""Cross-cutting web security: response headers, safe redirects, password policy."""

from __future__ import annotations

import unicodedata
from functools import cache
from urllib.parse import unquote, urlsplit

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
    "form-action 'self'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register_request_limits(app: Flask) -> None:
    """Werkzeug applies MAX_FORM_MEMORY_SIZE to multipart bodies only; hold URL-encoded forms to
    the same limit (larger uploads must be multipart files, limited by MAX_CONTENT_LENGTH)."""

    @app.before_request
    def limit_urlencoded_forms():
        from flask import abort, request

        limit = app.config.get("MAX_FORM_MEMORY_SIZE")
        if (limit and request.mimetype == "application/x-www-form-urlencoded"
                and (request.content_length or 0) > limit):
            abort(413)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def is_safe_redirect(target: str | None) -> bool:
    """Only same-site relative paths: "/x?y" yes; "//host", "https://x", "/\\host", "javascript:" no.

    Browsers strip tabs and newlines and treat backslashes as slashes, so those are refused
    outright, as are other control and bidirectional-override characters. The same checks apply
    to the target percent-decoded (up to three times: "/%09/host", "/%2F%2Fhost", "/%252f...") and
    folded with NFKC (fullwidth "／" and "＼" become "/" and "\\"), so that a later decoding or
    normalisation step cannot turn an accepted path into a redirect off the site.
    """
    if not target or len(target) > 2048:
        return False
    forms = [target]
    for _ in range(3):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    forms += [unicodedata.normalize("NFKC", form) for form in forms]
    return all(_is_relative_path(form) for form in forms)


def _is_relative_path(target: str) -> bool:
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in target):
        return False
    if "\\" in target or not target.startswith("/") or target.startswith("//"):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    return target if is_safe_redirect(target) else default


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of the zxcvbn corpus (lower case)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """A reason code if the password is unacceptable, else None (ASVS 5.0 V6.2: length, no
    composition rules, refuse common and context-specific passwords)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "too_long"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) < 3:
        return "common"
    if email:
        local = email.split("@", 1)[0].lower()
        if lowered in (email.lower(), local) or (len(local) >= 4 and lowered.startswith(local)
                                                 and len(lowered) - len(local) < 4):
            return "contains_email"
    if lowered in ("changzhi", "changzhi123", "changzhi2026", "长治双创", "shuangchuang"):
        return "common"
    return None
