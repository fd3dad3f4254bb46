"""The JSON API under /api/v1. Errors answer ``{"error": {"code", "message", "status"}}``."""
