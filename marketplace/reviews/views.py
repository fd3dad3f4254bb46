"""Reviews after a completed booking, licence or lease: 1–5 stars and text, one per party per deal, reportable."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
