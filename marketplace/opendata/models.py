"""Models of marketplace.opendata (step 7)."""

from __future__ import annotations
