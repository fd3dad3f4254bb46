"""Recommendations for the UI: listings for an enterprise or one of its needs, enterprises for a
listing, each with reasons worded in the current locale from the model's evidence.

(Skeleton: signatures fixed by the step-6 contract; bodies follow.)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Reason:
    """One explanation line, already worded in the current locale."""

    code: str
    text: str


@dataclass
class Recommendation:
    listing: object  # listings.models.Listing
    score: float
    reasons: list[Reason] = field(default_factory=list)  # never empty


@dataclass
class EnterpriseMatch:
    organization: object  # marketplace.organizations.models.Organization
    score: float
    reasons: list[Reason] = field(default_factory=list)


def recommend_for_organization(organization, *, kinds=None, limit=10) -> list[Recommendation]:
    return []


def recommend_for_need(need, *, limit=10) -> list[Recommendation]:
    return []


def enterprises_for_listing(listing, *, limit=10) -> list[EnterpriseMatch]:
    return []


def model_status() -> dict:
    return {"mode": "content", "trained_at": None, "path": None}
