"""Listings (instruments, technologies, spaces, campaigns) and their full-text index.

Arrives with step 2; this package depends only on ``marketplace.extensions``.
"""
