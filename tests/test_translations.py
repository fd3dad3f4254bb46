"""The zh_CN catalogue is complete and well-formed.

Pure file checks (no ``app`` or ``db`` fixture): the messages are extracted from the current
sources at test time with Babel's Python API, using the method map in ``babel.cfg`` and the same
keywords as ``make extract-messages``, so a string added to the code or templates without a
Chinese translation fails the suite.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "marketplace" / "translations"
# Babel resolves the zh_CN locale to zh_Hans_CN, so that is the catalogue folder gettext looks in.
ZH_PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"

KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
}

# printf-style named placeholders: %(name)s, %(count)d, %(ratio).1f ...
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _as_tuple(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (value,)


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str | tuple[str, ...], str | None], list[str]]:
    """Every message in the current sources -> where it occurs (``file:line``)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename="babel.cfg")
    found: dict[tuple[str | tuple[str, ...], str | None], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault((message, context), []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def zh_catalog() -> Catalog:
    with open(ZH_PO, "rb") as fh:
        return read_po(fh, locale="zh_CN")


def _translated(catalog: Catalog):
    return [m for m in catalog if m.id and any(_as_tuple(m.string))]


def test_extraction_finds_the_sources(extracted):
    """Guard against a broken method map silently extracting nothing."""
    files = {where.rsplit(":", 1)[0] for places in extracted.values() for where in places}
    assert len(extracted) > 100, f"only {len(extracted)} messages extracted"
    assert any(name.endswith(".html") for name in files), "no template messages extracted"
    assert any(name.endswith(".py") for name in files), "no Python messages extracted"
    assert ("Sign in", None) in extracted


def test_catalogue_header_is_zh_cn(zh_catalog):
    assert not zh_catalog.fuzzy, "the header entry of messages.po is marked fuzzy"
    headers = dict(zh_catalog.mime_headers)
    assert headers["Language"] == "zh_CN"
    assert zh_catalog.num_plurals == 1
    assert zh_catalog.plural_expr == "0"


def test_every_source_message_has_a_chinese_translation(extracted, zh_catalog):
    missing = []
    for (msgid, context), places in sorted(extracted.items(), key=lambda item: str(item[0])):
        entry = zh_catalog.get(msgid, context=context)
        strings = _as_tuple(entry.string) if entry is not None else ()
        if entry is None or entry.fuzzy or not strings or not all(s.strip() for s in strings):
            reason = "absent" if entry is None else ("fuzzy" if entry.fuzzy else "empty")
            missing.append(f"  {_as_tuple(msgid)[0]!r} ({reason}; {', '.join(places[:3])})")
    assert not missing, (
        f"{len(missing)} message(s) lack a zh_CN translation — run `make extract-messages`, "
        f"translate them in {ZH_PO.relative_to(ROOT)}, then `make translations`:\n"
        + "\n".join(missing)
    )


def test_no_entry_in_the_po_is_fuzzy_or_empty(zh_catalog):
    bad = [m.id for m in zh_catalog if m.id and (m.fuzzy or not all(_as_tuple(m.string)))]
    assert not bad, f"fuzzy or untranslated entries in messages.po: {bad}"


def test_placeholders_match(zh_catalog):
    translated = _translated(zh_catalog)
    assert translated, "messages.po has no translations at all"
    wrong = []
    for message in translated:
        ids = _as_tuple(message.id)
        expected = set().union(*(_placeholders(i) for i in ids))
        for string in _as_tuple(message.string):
            got = _placeholders(string)
            if got != expected:
                wrong.append(f"  {ids[0]!r}: expected {sorted(expected)}, got {sorted(got)}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_line_breaks_are_kept(zh_catalog):
    wrong = [
        m.id
        for m in _translated(zh_catalog)
        if isinstance(m.id, str) and m.id.count("\n") != m.string.count("\n")
    ]
    assert not wrong, f"msgstr has a different number of line breaks than msgid: {wrong}"


def test_compiled_catalogue_translates(zh_catalog, tmp_path):
    mo_path = tmp_path / "messages.mo"
    with open(mo_path, "wb") as fh:
        write_mo(fh, zh_catalog)
    with open(mo_path, "rb") as fh:
        translations = gettext.GNUTranslations(fh)
    assert translations.gettext("Sign in") == "登录"
    assert translations.gettext("Unified social credit code") == "统一社会信用代码"
    assert translations.gettext("no such message, falls back to the msgid") == (
        "no such message, falls back to the msgid"
    )
    # a placeholder survives compilation and formatting
    welcome = translations.gettext("Welcome, %(name)s") % {"name": "张三"}
    assert "张三" in welcome
    assert welcome != "Welcome, 张三"


def test_the_app_serves_chinese_by_default_and_english_on_request(client):
    zh = client.get("/auth/login").get_data(as_text=True)
    assert "登录" in zh and "Sign in" not in zh
    client.post("/language", data={"lang": "en"})
    en = client.get("/auth/login").get_data(as_text=True)
    assert "Sign in" in en and "登录" not in en
