"""Form helpers shared by the blueprints."""

from __future__ import annotations

from flask_wtf import FlaskForm

from marketplace.errors import DomainError


def apply_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Show a business error next to its field (flaskbb style), or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))
