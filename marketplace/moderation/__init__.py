"""Moderation (step 7): officers take down listings, campaigns and reviews with a reason (the
owner may appeal once) and suspend users; the audit log search."""
