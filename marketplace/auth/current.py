"""The signed-in user as a real model object, for passing to operations.

``flask_login.current_user`` is a proxy; operations and the audit trail need the ``User`` itself
(e.g. ``type(user).__tablename__``), so views pass ``acting_user()``.
"""

from __future__ import annotations

from flask_login import current_user


def acting_user():
    return current_user._get_current_object()
