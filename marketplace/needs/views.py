"""Enterprise needs (技术需求): proposals that link providers' listings, shortlisting, decline feedback, solving."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("needs", __name__, url_prefix="/needs")
