"""Models of marketplace.integrity (step 7)."""

from __future__ import annotations
