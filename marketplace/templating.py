"""Jinja filters and globals: local time (Asia/Shanghai), districts, industries, languages."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from flask import Flask, current_app, g, request
from flask_babel import format_date, format_datetime, get_locale, get_translations

from marketplace.money import format_fen
from marketplace.reference import area_name, industry_name


@lru_cache(maxsize=32)
def parsed_locale(code: str) -> Locale:
    """``Locale.parse`` of one of our language keys, parsed once per process (babel normalises
    the name against its list of locale files each time: it showed up in every page's profile)."""
    return Locale.parse(code)


def _request_translations():
    """Flask-Babel's ``get_translations()``, looked up once per request and locale.

    Flask-Babel resolves the domain, the locale and its cache key on every call, and a page makes
    60–80 of them (a tenth of a page's time in the profiles). The memo sits in Flask-Babel's own
    per-request namespace and is keyed by the identity of the locale object there, so
    ``force_locale`` (mail in the recipient's language) and ``refresh()`` (a language switch),
    which replace or remove that object, get the right catalogue."""
    ctx = g.get("_flask_babel") if g else None
    if ctx is not None:
        memo = getattr(ctx, "czx_translations", None)
        if memo is not None and memo[0] is getattr(ctx, "babel_locale", None):
            return memo[1]
    translations = get_translations()
    ctx = g.get("_flask_babel") if g else None
    if ctx is not None:
        ctx.czx_translations = (getattr(ctx, "babel_locale", None), translations)
    return translations


def register_template_helpers(app: Flask) -> None:
    # the templates' _() and friends, as Flask-Babel installs them, through the per-request memo
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
        newstyle=True)

    @app.template_filter("localtime")
    def localtime(value, format="medium"):
        """A UTC datetime shown in Asia/Shanghai in the user's language."""
        return format_datetime(value, format) if value else ""

    @app.template_filter("localdate")
    def localdate(value, format="medium"):
        return format_date(value, format) if value else ""

    app.add_template_filter(area_name, "area_name")
    app.add_template_filter(format_fen, "yuan")
    app.add_template_filter(industry_name, "industry_name")

    @app.context_processor
    def inject_globals():
        locale = get_locale()
        languages = current_app.config["LANGUAGES"]
        # Babel resolves "zh_CN" to zh_Hans_CN: compare parsed locales, report our own key.
        current = next((code for code in languages if locale is not None
                        and parsed_locale(code) == locale), current_app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "languages": languages,
            "current_locale": current,
            "html_lang": "en" if locale is not None and locale.language == "en" else "zh-CN",
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
