"""Views of marketplace.integrity (step 7)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("integrity", __name__)
