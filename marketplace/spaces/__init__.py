"""Space leasing: viewing requests, lease offers and leases (never more area than listed)."""
