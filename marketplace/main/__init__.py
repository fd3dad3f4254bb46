"""Home page, dashboard, language switch, health check."""
