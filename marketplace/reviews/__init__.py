"""Reviews after a completed booking, licence or lease: 1–5 stars and text, one per party per deal, reportable."""
