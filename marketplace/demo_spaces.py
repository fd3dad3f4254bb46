"""Demo viewings, lease offers and leases (step 5)."""

from __future__ import annotations


def load_demo_spaces(users: dict, organizations: dict) -> dict[str, int]:
    """Create the demo viewings, lease offers and leases once (idempotent). Flushes only."""
    return {}
