"""The plain records the recommender works on; ``marketplace`` adapts database rows to them.

Nothing here knows Flask or the database. Ids are the database ids (listing ids for items,
organisation ids for parties), so results map straight back to rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# The kinds of listing the recommender ranks (a need is a reverse listing and is not recommended).
ITEM_KINDS = ("instrument", "technology", "space", "campaign")

# Implicit feedback: how much one event says "this party wants this item". Time decay halves a
# weight every HALF_LIFE_DAYS. "not_relevant" is a negative label (never a positive signal).
INTERACTION_WEIGHTS = {
    "view": 1.0,
    "enquiry": 3.0,      # a conversation opened on the listing, or a licence enquiry
    "pledge": 4.0,       # money pledge, expertise offer or resource pledge on a campaign
    "booking": 5.0,      # an instrument booking (not cancelled by the customer before approval)
    "licence": 6.0,      # a licence agreement or express licence
    "lease": 6.0,        # a space lease
}
NEGATIVE_KINDS = frozenset({"not_relevant"})
HALF_LIFE_DAYS = 90.0


@dataclass(frozen=True)
class Item:
    """A listing that may be recommended."""

    id: int
    kind: str                      # one of ITEM_KINDS
    owner_id: int                  # the publishing organisation's id
    district: str                  # district/county code (a zone is given as its parent district)
    category: str | None           # kind-specific category value, e.g. "electron_microscopy"
    words: tuple[str, ...]         # index terms (jieba words, lower-cased, stemmed), in text order
    text: str                      # normalised raw text, for character n-grams
    price_fen: int | None = None   # hourly rate / asking price / rent per m² month / goal
    accepts_vouchers: bool = False
    published_at: datetime | None = None


@dataclass(frozen=True)
class Party:
    """An enterprise (the customer side): its profile, or one of its needs as the query."""

    id: int                        # organisation id (for a need: still the organisation's id)
    industry: str | None           # GB/T 4754 section letter
    district: str
    words: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Interaction:
    party_id: int
    item_id: int
    kind: str                      # a key of INTERACTION_WEIGHTS, or "not_relevant"
    at: datetime                   # timezone-aware UTC


@dataclass(frozen=True)
class Context:
    """Request-time facts the artifact cannot know."""

    remaining_quota_fen: int | None = None     # the party's unspent voucher quota; None = none
    excluded_item_ids: frozenset[int] = frozenset()   # hard rules decided by the caller
    excluded_owner_ids: frozenset[int] = frozenset()  # own organisation, related parties


@dataclass(frozen=True)
class Evidence:
    """One reason, with the data that proves it (the caller words it in the user's language).

    codes and data:
      "terms"            {"terms": [display term, ...]}  (top matched words, best first, ≤ 5)
      "district"         {"relation": "same" | "neighbour", "district": code}
      "peers"            {"count": n, "industry": letter}  (n enterprises of the party's industry
                                                          interacted with the item)
      "similar_parties"  {"count": n}   (n of the party's nearest neighbours in the factor space
                                         interacted with the item)
      "category_affinity"{"industry": letter, "category": value}  (learned: this industry often
                                                          uses this category)
      "voucher_fit"      {"price_fen": p, "remaining_fen": r}  (price ≤ remaining quota)
      "accepts_vouchers" {}
    """

    code: str
    weight: float                  # the feature's contribution to the score (> 0)
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Scored:
    id: int                        # item id (recommend*) or party id (parties_for_item)
    score: float
    evidence: tuple[Evidence, ...]
