"""Recommendations (step 6): adapt rows to ``matching`` and show its results with reasons."""
