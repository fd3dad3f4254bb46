"""Demo conversations and reviews (step 5)."""

from __future__ import annotations


def load_demo_conversations(users: dict, organizations: dict) -> dict[str, int]:
    """Create the demo conversations and reviews once (idempotent). Flushes only."""
    return {}
