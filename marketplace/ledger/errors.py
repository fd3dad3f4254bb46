"""Why the ledger refused a request: one ``DomainError`` subclass per rejection code.

Nothing is written when one of these is raised. Programming mistakes (an amount that is not an
``int``, an empty idempotency key, reopening an account with other attributes) raise ``TypeError``
or ``ValueError`` instead: they are bugs, not business outcomes.
"""

from __future__ import annotations

from marketplace.errors import ConflictError, DomainError, NotFoundError


class LedgerError(DomainError):
    """Base of every ledger rejection; ``code`` is stable and machine-readable."""

    code = "ledger_error"


class ZeroOrNegativeAmountError(LedgerError):
    code = "zero_or_negative_amount"


class SameAccountError(LedgerError):
    code = "same_account"


class UnknownAccountError(LedgerError):
    status_code = NotFoundError.status_code
    code = "unknown_account"


class MixedAssetsError(LedgerError):
    code = "mixed_assets"


class UnbalancedError(LedgerError):
    code = "unbalanced"


class InsufficientFundsError(LedgerError, ConflictError):
    code = "insufficient_funds"


class UnknownHoldError(LedgerError):
    status_code = NotFoundError.status_code
    code = "unknown_hold"


class NotAHoldError(LedgerError):
    code = "not_a_hold"


class PostExceedsHoldError(LedgerError):
    code = "post_exceeds_hold"


class HoldAlreadyResolvedError(LedgerError, ConflictError):
    code = "hold_already_resolved"


class UnknownTransferError(LedgerError):
    status_code = NotFoundError.status_code
    code = "unknown_transfer"


class NotReversibleError(LedgerError):
    code = "not_reversible"


class AlreadyReversedError(LedgerError, ConflictError):
    code = "already_reversed"


class IdempotencyConflictError(LedgerError, ConflictError):
    code = "idempotency_conflict"


REJECTIONS: tuple[type[LedgerError], ...] = (
    ZeroOrNegativeAmountError,
    SameAccountError,
    UnknownAccountError,
    MixedAssetsError,
    UnbalancedError,
    InsufficientFundsError,
    UnknownHoldError,
    NotAHoldError,
    PostExceedsHoldError,
    HoldAlreadyResolvedError,
    UnknownTransferError,
    NotReversibleError,
    AlreadyReversedError,
    IdempotencyConflictError,
)
ALL_CODES: tuple[str, ...] = tuple(error.code for error in REJECTIONS)
