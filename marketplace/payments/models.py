"""Payment records (step 4)."""
