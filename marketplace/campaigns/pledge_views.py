"""Money pledge pages (筹资金)."""

from flask import Blueprint

bp = Blueprint("pledges", __name__, url_prefix="/campaigns")
