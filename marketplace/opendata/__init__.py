"""Open data (step 7): aggregated public statistics, as a page and a JSON/CSV API (no login, no
personal data)."""
