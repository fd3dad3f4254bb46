"""Technology licensing: NDA click-through, confidential details, structured offers and counter-offers, licence agreements, decline feedback."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("licensing", __name__, url_prefix="/licensing")
