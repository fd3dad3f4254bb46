"""Models (step 5); see the package docstring."""

from __future__ import annotations
