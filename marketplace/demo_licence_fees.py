"""Demo express licences and paid licence fees (step 5)."""

from __future__ import annotations


def load_demo_licence_fees(users: dict, organizations: dict) -> dict[str, int]:
    """Create the demo express licences and paid licence fees once (idempotent). Flushes only."""
    return {}
