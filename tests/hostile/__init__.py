"""Hostile input (step 8): schemathesis on the JSON API (F1) and random values on every form."""
