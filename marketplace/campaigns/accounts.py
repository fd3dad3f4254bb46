"""Ledger account codes of a campaign (all CNY).

* ``campaign:<id>:escrow`` (kind ``escrow``): paid money pledges, held until the campaign closes;
* ``campaign:<id>:match-escrow`` (kind ``escrow``): what a programme added by matchfunding;
* ``programme:<id>:match-fund`` (kind ``budget``, may go negative): the programme's 双创 fund.

Each function returns the code; given a session it also opens the account on first use (a
payment can only be credited to, and a transfer only move money between, accounts that exist).
The maker's ``org:<id>:payable`` is the payments module's (``payments.accounts.payable``).
"""

from __future__ import annotations

from marketplace.ledger import operations as ledger
from marketplace.ledger.models import Asset


def _opened(session, code: str, kind: str, allow_negative: bool = False) -> str:
    if session is not None:
        ledger.open_account(session, code, Asset.CNY, kind, allow_negative=allow_negative)
    return code


def escrow(campaign_id: int, session=None) -> str:
    return _opened(session, f"campaign:{campaign_id}:escrow", "escrow")


def match_escrow(campaign_id: int, session=None) -> str:
    return _opened(session, f"campaign:{campaign_id}:match-escrow", "escrow")


def match_fund(programme_id: int, session=None) -> str:
    return _opened(session, f"programme:{programme_id}:match-fund", "budget", allow_negative=True)

