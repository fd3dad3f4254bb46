"""Form helpers shared by the blueprints."""

from __future__ import annotations

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
