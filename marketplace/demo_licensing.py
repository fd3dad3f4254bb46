"""Demo NDAs, enquiries, offers and licence agreements (step 5)."""

from __future__ import annotations


def load_demo_licensing(users: dict, organizations: dict) -> dict[str, int]:
    """Create the demo NDAs, enquiries, offers and licence agreements once (idempotent). Flushes only."""
    return {}
