"""Demo needs (技术需求) and proposals (step 5)."""

from __future__ import annotations


def load_demo_needs(users: dict, organizations: dict) -> dict[str, int]:
    """Create the demo needs (技术需求) and proposals once (idempotent). Flushes only."""
    return {}
