"""Models of marketplace.statistics (step 7)."""

from __future__ import annotations
