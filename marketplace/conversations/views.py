"""Conversations between two organisations about a listing or a need: messages, attachments, unread counts, blocking and reporting."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("conversations", __name__, url_prefix="/conversations")
