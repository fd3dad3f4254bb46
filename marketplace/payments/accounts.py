"""Ledger account codes of the payments module (CNY), opened on first use.

* ``cny:clearing:stripe``, ``cny:clearing:bank`` (kind ``clearing``, may go negative): money from
  or back to the outside world through Stripe or by bank transfer; −balance = what came in net.
* ``cny:refunds-due`` (kind ``refunds_due``): money owed back to payers, awaiting the refund.
* ``org:<id>:payable`` (kind ``payable``): what the platform owes an organisation.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from marketplace.ledger import operations as ledger
from marketplace.ledger.models import Asset

CLEARING_STRIPE = "cny:clearing:stripe"
CLEARING_BANK = "cny:clearing:bank"
REFUNDS_DUE = "cny:refunds-due"
_PAYABLE = re.compile(r"^org:(\d+):payable$")

# code → (kind, allow_negative) for the accounts this module may open itself
_FIXED = {CLEARING_STRIPE: ("clearing", True), CLEARING_BANK: ("clearing", True),
          REFUNDS_DUE: ("refunds_due", False)}


def clearing(method) -> str:
    """The clearing account of a payment method ("stripe" or "bank_transfer")."""
    return {"stripe": CLEARING_STRIPE, "bank_transfer": CLEARING_BANK}[str(method)]


def payable(org_id: int, session: Session | None = None) -> str:
    """What the platform owes organisation ``org_id``; opened when a session is given."""
    code = f"org:{int(org_id)}:payable"
    if session is not None:
        ensure_open(session, code)
    return code


def is_known(code: str) -> bool:
    """Whether this module knows how to open the account (so it can open it on first use)."""
    return code in _FIXED or bool(_PAYABLE.match(code))


def ensure_open(session: Session, *codes: str) -> None:
    """Open the accounts of this module among ``codes`` (others are left to their owners)."""
    for code in codes:
        if code in _FIXED:
            kind, negative = _FIXED[code]
            ledger.open_account(session, code, Asset.CNY, kind, allow_negative=negative)
        elif _PAYABLE.match(code):
            ledger.open_account(session, code, Asset.CNY, "payable")
