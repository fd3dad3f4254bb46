"""Form helpers shared by the blueprints."""

from __future__ import annotations

from functools import cache

from flask_wtf import FlaskForm
from wtforms import SelectChoice

from marketplace.errors import DomainError


def apply_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Show a business error next to its field (flaskbb style), or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms SelectChoice objects (tuples are deprecated in 3.3)."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def refuse_on_form(form: FlaskForm, error: DomainError) -> int:
    """Undo what the operation flushed and show its refusal on the form; returns the status to
    answer with. Permission refusals are not form errors: they go on to the error pages."""
    from marketplace.errors import NotAllowedError, NotFoundError
    from marketplace.extensions import db

    if isinstance(error, NotAllowedError | NotFoundError):
        raise error
    db.session.rollback()
    apply_domain_error(form, error)
    return error.status_code


def _form_fields_only(meta, form, formdata):
    """Flask-WTF's formdata with each value where its field expects it: uploads only for file
    fields, text only for the others, and no JSON body (an HTML form is never posted as JSON).

    Flask-WTF merges ``request.files`` into the form data, so a file posted under a text
    field's name reached its validators as a FileStorage (TypeError: no len(): a 500), and
    ``ImmutableMultiDict(request.get_json())`` broke on a JSON list. Found by the form fuzz
    (tests/hostile/test_form_fuzz.py).

    A NUL character in a text value becomes U+FFFD, as HTML parsers do: PostgreSQL cannot store
    NUL in text (the insert failed: a 500, found by the long form fuzz on PostgreSQL), a browser
    never types one, and the replacement stays visible to whoever reads the value."""
    from flask import request
    from flask_wtf.form import _Auto, _is_submitted
    from werkzeug.datastructures import MultiDict
    from wtforms.fields import FileField, MultipleFileField

    if formdata is not _Auto:
        return formdata
    if not _is_submitted() or not (request.form or request.files):
        return None
    file_fields = {field.name for field in form if isinstance(field, FileField | MultipleFileField)}
    data = MultiDict([(key, value.replace("\x00", "\ufffd")) for key, value
                      in request.form.items(multi=True) if key not in file_fields])
    for key, value in request.files.items(multi=True):
        if key in file_fields:
            data.add(key, value)
    return data


@cache
def _wtforms_catalogue(locale: str):
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _wtforms_translations(meta, form):
    """WTForms' own messages ("This field is required.") in the request's language.

    Flask-WTF reads WTForms' catalogue from disk again for every request that builds a form;
    it is the same file for every request in a language, so it is read once per process and
    language here."""
    from flask import current_app
    from flask_babel import get_locale

    if not current_app.config.get("WTF_I18N_ENABLED", True):
        return None
    locale = get_locale()
    return _wtforms_catalogue(str(locale)) if locale is not None else None


def install_form_guard() -> None:
    """Called once by create_app: every FlaskForm reads its data through _form_fields_only, and
    finds WTForms' messages through the per-process catalogue."""
    FlaskForm.Meta.wrap_formdata = _form_fields_only
    FlaskForm.Meta.get_translations = _wtforms_translations
