"""The fuzz targets: one function of bytes each, asserting the parser's contract.

A target fails (a crash for libFuzzer) when the function raises anything but its documented
error, or when its result breaks a property: money parses to integer fen in range and formats
back to the same fen; a patent number normalises to ASCII and is a fixed point; the search query
functions never raise and stay short; upload sniffing never raises and names only accepted
types; a redirect target accepted by ``is_safe_redirect`` is a same-site path in every form a
browser or a later decoding step could see; dates and times parse or refuse cleanly.
"""

from __future__ import annotations

import sys
import unicodedata
from urllib.parse import unquote, urlsplit

import atheris

# only the modules under test are instrumented (instrumenting all of marketplace/ costs seconds
# of start-up for nothing); what they import comes in plain
INSTRUMENTED = ["listings.search", "listings.patents", "marketplace.conversations.operations",
                "marketplace.money", "marketplace.opendata.datasets",
                "marketplace.organizations.credit_code", "marketplace.security",
                "marketplace.uploads"]

with atheris.instrument_imports(include=INSTRUMENTED):
    from listings import search
    from listings.patents import PatentNumberError, normalize_patent_number
    from marketplace.conversations.operations import _clean_filename
    from marketplace.money import MAX_FEN, MoneyFormatError, fen_to_input, parse_yuan
    from marketplace.opendata.datasets import BadFilterError, _parse_day
    from marketplace.organizations.credit_code import CreditCodeError
    from marketplace.organizations.credit_code import validate as validate_credit_code
    from marketplace.security import is_safe_redirect
    from marketplace.uploads import DOCX, JPEG, PDF, PNG, XLSX, sniff_document

# characters that make parsers unhappy, mixed into the fuzzer's text
_HOSTILE = ["\x00", "\t", "\n", "\r", "\u200f", "\u202e", "\ufeff", "／", "＼", "%", "%2f",
            "%252F", "\\", "//", "@", ":", "[", "]", "¥", "￥", "元", "，", ",", ".", "e", "E",
            "-", "+", "ZL", "CN", "X", "٣", "１", "\U0001f600", "NaN", "Infinity", "1e999999"]


def _text(data: bytes) -> str:
    """Fuzzer bytes as text, now and then spliced with a hostile token."""
    provider = atheris.FuzzedDataProvider(data)
    if provider.remaining_bytes() and provider.ConsumeBool():
        token = _HOSTILE[provider.ConsumeIntInRange(0, len(_HOSTILE) - 1)]
        text = provider.ConsumeUnicodeNoSurrogates(provider.remaining_bytes())
        cut = len(text) // 2
        return text[:cut] + token + text[cut:]
    return provider.ConsumeUnicodeNoSurrogates(provider.remaining_bytes())


def money(data: bytes) -> None:
    text = _text(data)
    try:
        fen = parse_yuan(text)
    except MoneyFormatError as error:
        assert error.reason in ("format", "negative", "precision", "too_large"), error.reason
        return
    assert isinstance(fen, int) and 0 <= fen <= MAX_FEN, (text, fen)
    assert parse_yuan(fen_to_input(fen)) == fen, (text, fen)


def patent_number(data: bytes) -> None:
    text = _text(data)
    try:
        number = normalize_patent_number(text)
    except PatentNumberError as error:
        assert error.reason in ("format", "year"), error.reason
        return
    assert number.isascii() and len(number) in (10, 14), (text, number)
    assert normalize_patent_number(number) == number, (text, number)


def search_query(data: bytes) -> None:
    text = _text(data)
    normalised = search.query_text(text)
    assert isinstance(normalised, str)
    if hasattr(search, "_parse"):
        parsed = search._parse(normalised)
        assert len(parsed.clauses) <= 4 * max(getattr(search, "MAX_UNITS", 16), 16)
    if hasattr(search, "build_query"):
        search.build_query(text)
    assert isinstance(search.analyze(text[:200]), list)


def upload_sniffing(data: bytes) -> None:
    kind = sniff_document(data)
    assert kind in (None, PDF, PNG, JPEG, DOCX, XLSX), kind
    provider = atheris.FuzzedDataProvider(data)
    name = provider.ConsumeUnicodeNoSurrogates(300)
    extension = ("pdf", "png", "jpg", "docx", "xlsx")[len(name) % 5]
    cleaned = _clean_filename(name, extension)
    assert cleaned.endswith("." + extension), (name, cleaned)
    assert not any(ch in cleaned for ch in '/\\"') and cleaned.isprintable(), (name, cleaned)
    assert len(cleaned) <= 156 and not cleaned.startswith("."), (name, cleaned)


def _off_site(form: str) -> bool:
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in form) or "\\" in form:
        return True
    stripped = form.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return True
    parts = urlsplit(stripped)
    return bool(parts.scheme or parts.netloc)


def redirect_target(data: bytes) -> None:
    target = _text(data)
    if not is_safe_redirect(target):
        return
    forms = [target, unquote(target), unquote(unquote(target)),
             unicodedata.normalize("NFKC", target), unicodedata.normalize("NFKC", unquote(target))]
    for form in forms:
        assert not _off_site(form), (target, form)


def dates_and_codes(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    day = provider.ConsumeUnicodeNoSurrogates(16)
    try:
        parsed = _parse_day({"start": day}, "start")
    except BadFilterError:
        parsed = None
    assert parsed is None or 2000 <= parsed.year <= 2099, (day, parsed)
    if parsed is not None:
        assert day.strip().isascii(), (day, parsed)  # YYYY-MM-DD in ASCII digits only
    code = provider.ConsumeUnicodeNoSurrogates(provider.remaining_bytes())
    try:
        normalised = validate_credit_code(code)
    except CreditCodeError as error:
        assert error.reason in ("length", "charset", "division", "check"), error.reason
        return
    assert len(normalised) == 18 and normalised.isascii(), (code, normalised)


_EACH = (money, patent_number, search_query, upload_sniffing, redirect_target, dates_and_codes)
RUNS_BY_TARGET = dict.fromkeys((f.__name__ for f in _EACH), 0)


def every_target(data: bytes) -> None:
    """All targets in one process (the smoke run: one start-up instead of six); the first byte
    picks the target."""
    if not data:
        return
    target = _EACH[data[0] % len(_EACH)]
    RUNS_BY_TARGET[target.__name__] += 1
    total = sum(RUNS_BY_TARGET.values())
    if total % 5000 == 0 or total & (total - 1) == 0:  # libFuzzer ends with _exit: report often
        print("runs by target: " + " ".join(f"{k}={v}" for k, v in RUNS_BY_TARGET.items()),
              file=sys.stderr, flush=True)
    target(data[1:])


TARGETS = {
    "money": money,
    "patent_number": patent_number,
    "search_query": search_query,
    "upload_sniffing": upload_sniffing,
    "redirect_target": redirect_target,
    "dates_and_codes": dates_and_codes,
    "all": every_target,
}
