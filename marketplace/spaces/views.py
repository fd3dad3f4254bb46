"""Space leasing: viewing requests, lease offers and leases (never more area than listed)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("spaces", __name__, url_prefix="/spaces")
