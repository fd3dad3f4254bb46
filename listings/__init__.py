"""Listings (instruments, technologies, spaces, campaigns) and their full-text index.

Arrives with step 2; this package depends only on ``marketplace.extensions``.
"""


def search_backend(app=None):
    """The search backend chosen by ``SEARCH_BACKEND`` (see ``listings.backend``)."""
    from listings.backend import current

    return current(app)
