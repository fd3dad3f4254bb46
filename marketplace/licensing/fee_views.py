"""Licence fees: the express (fixed-price, non-exclusive) licence and paying an agreement's fee through payments, part by innovation voucher."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("licence_fees", __name__, url_prefix="/licensing/fees")
