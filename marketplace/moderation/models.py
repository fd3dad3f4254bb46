"""Models of marketplace.moderation (step 7)."""

from __future__ import annotations
