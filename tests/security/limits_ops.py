"""S8 bad-input cases for the operations routes (step 8): none take input (GET only, no forms)."""

from __future__ import annotations

OPS_FORMS: list = []
OPS_BUTTONS: set[str] = set()  # POST endpoints with no fields
