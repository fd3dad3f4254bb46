"""Campaign pages: the public page, the maker's dashboard, the officer's review."""

from flask import Blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
