"""The security tests' fixtures (cookie-isolated clients, DELETE-emptied tables with the ledger
check after each test) for the form fuzz, which walks the same worlds as the authz matrix."""

from tests.security.conftest import _truncate_after_package, db, figures, make_client  # noqa: F401
