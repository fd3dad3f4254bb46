"""Demo interactions for the recommender (step 6): listing views of the last 120 days and a few
"not relevant" marks, so that ``flask matching train`` has something to learn from and its
evaluation means something.

The views follow a stated preference structure, with noise. For each verified demo enterprise
(and the maker team) every open listing gets an affinity

    affinity = (1 + 3·shared profile words) × industry↔category factor × district factor × noise

* shared profile words: index terms shared by the organisation's description and needs and the
  listing's text (capped at 4), so 太行精密机械, which needs a SEM, reads about electron
  microscopes;
* industry ↔ category: ``CATEGORY_AFFINITY`` (manufacturing likes materials testing, microscopy,
  machining and factory space; environmental services like chromatography and environmental
  monitoring …), factor 2 when the category is listed for the industry;
* district: 1.6 in the same district or county, 1.25 in a neighbouring one (changzhi_neighbours);
* peer taste (what content cannot see, and similar enterprises share): the customers fall into
  ``CLUSTERS`` (metal parts and machinery; food and herbs; materials, energy and environment;
  makers); each cluster has a hidden set of 12 favourite listings drawn from a fixed seed, factor
  3 — so "enterprises like yours looked at it" is real signal for the collaborative part;
* noise: log-normal (σ 0.5), from a fixed seed.

Each organisation then views 22–38 listings drawn with probability ∝ affinity², on random days of
the last 120, 1–3 views a day. The listing with the lowest affinity among three enterprises'
top-viewed kinds is marked not relevant ("wrong_field").

Organisations that should be found by providers are made ``discoverable`` (all verified demo
enterprises but 上党检测, which stays private to show the opt-in).

Idempotent: the views are made once (when none of the demo organisations has any); the
not-relevant marks and the discoverable flags are set whenever the demo is loaded.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

import sqlalchemy as sa

from marketplace.extensions import db, utcnow
from marketplace.organizations.models import OrganizationKind, VerificationStatus
from marketplace.recommendations import data
from marketplace.recommendations.models import ListingView, NotRelevant

SEED = 20261201
DAYS = 120
PRIVATE = {"91140403MA0T4X6L9"}  # 长治市上党检测技术服务有限公司: not discoverable
# credit codes (without the check character) of the demo customers, by hidden taste cluster
CLUSTERS = {
    "machinery": {"91140400MA0K7U2X3", "91140400MA0R2W5K8", "91140426MA0K9D2R4",
                  "91140428MA0W3A4N5"},
    "food": {"91140427MA0X5B6P7", "91140430MA0Y7C8Q2", "91140429MA0P3H4J6"},
    "materials": {"91140423MA0L2B8C5", "91140404MA0Q6R7T1", "91140431MA0U8Y2M3",
                  "91140403MA0T4X6L9", "91140405MA0L4E5T6"},
}
FAVOURITES = 12
CATEGORY_AFFINITY = {
    "C": {"electron_microscopy", "materials_testing", "machining", "additive_manufacturing",
          "x_ray", "thermal_analysis", "spectroscopy", "factory", "warehouse", "invention",
          "utility_model"},
    "N": {"environmental", "chromatography", "mass_spectrometry", "spectroscopy", "lab",
          "invention"},
    "M": {"spectroscopy", "x_ray", "electron_microscopy", "electronics_testing",
          "additive_manufacturing", "lab", "office", "incubator_desk", "campaign",
          "not_patented"},
    "A": {"life_sciences", "chromatography", "environmental", "warehouse", "campaign"},
}


def _customers(organizations) -> list:
    return [org for org in organizations.values()
            if org.status == VerificationStatus.VERIFIED
            and org.kind in (OrganizationKind.ENTERPRISE, OrganizationKind.MAKER)]


def _cluster(org) -> str:
    code = org.credit_code[:17]
    return next((name for name, codes in CLUSTERS.items() if code in codes),
                "makers" if org.kind == OrganizationKind.MAKER else "other")


def _favourites(items) -> dict[str, set[int]]:
    rng = random.Random(SEED + 2)
    ordered = sorted(item.id for item in items)
    return {name: set(rng.sample(ordered, min(FAVOURITES, len(ordered))))
            for name in (*CLUSTERS, "makers", "other")}


def _affinity(org, party_words: set[str], item, rng: random.Random,
              favourites: set[int] = frozenset()) -> float:
    shared = len(party_words & set(item.words))
    factor = 1.0 + 3.0 * min(shared, 4)
    if item.id in favourites:
        factor *= 3.0
    if item.category in CATEGORY_AFFINITY.get(org.industry, ()):
        factor *= 2.0
    district = data.district_of(org.district_code)
    if item.district == district:
        factor *= 1.6
    elif data.is_neighbour(item.district, district):
        factor *= 1.25
    return factor * math.exp(rng.gauss(0.0, 0.5))


def load_demo_matching(users, organizations) -> dict[str, int]:
    """Views, not-relevant marks and discoverable flags for the demo; returns counts."""
    now = utcnow()
    customers = _customers(organizations)
    for org in organizations.values():
        if org.kind == OrganizationKind.ENTERPRISE and org.status == VerificationStatus.VERIFIED:
            org.discoverable = org.credit_code[:17] not in PRIVATE
    db.session.flush()
    items = list(data.load_items(db.session, now=now))
    favourites = _favourites(items)
    ids = [org.id for org in customers]
    have_views = db.session.scalar(sa.select(sa.func.count()).select_from(ListingView).where(
        ListingView.organization_id.in_(ids))) if ids else 0
    rng = random.Random(SEED)  # affinities: the same on every load
    draw = random.Random(SEED + 1)  # the views drawn from them
    made_views = 0
    affinities: dict[int, list[tuple[float, object]]] = {}
    for org in customers:
        party = data.party_for(org)
        words = set(party.words)
        taste = favourites[_cluster(org)]
        scored = [(_affinity(org, words, item, rng, taste), item) for item in items
                  if item.owner_id != org.id]
        affinities[org.id] = scored
        if have_views or not scored:
            continue
        weights = [a * a for a, _ in scored]
        seen: set[tuple[int, object]] = set()
        for _ in range(draw.randint(22, 38)):
            _, item = draw.choices(scored, weights=weights, k=1)[0]
            day = data.beijing_day(now - timedelta(days=draw.uniform(0, DAYS)))
            if (item.id, day) in seen:
                continue
            seen.add((item.id, day))
            db.session.add(ListingView(organization_id=org.id, listing_id=item.id, viewed_on=day,
                                       views=draw.randint(1, 3)))
            made_views += 1
    db.session.flush()
    marked = 0
    for org in customers[:3]:
        scored = [(a, item) for a, item in affinities.get(org.id, []) if item.kind == "instrument"]
        owner = next((m.user for m in org.memberships), None)
        if not scored or owner is None:
            continue
        _, item = min(scored, key=lambda pair: pair[0])
        exists = db.session.scalar(sa.select(NotRelevant.id).where(
            NotRelevant.organization_id == org.id, NotRelevant.listing_id == item.id))
        if exists is None:
            db.session.add(NotRelevant(organization_id=org.id, listing_id=item.id,
                                       reason="wrong_field", user_id=owner.id, created_at=now))
            marked += 1
    db.session.flush()
    total_views = db.session.scalar(sa.select(sa.func.count()).select_from(ListingView))
    return {"listing_views_created": made_views, "listing_views": total_views,
            "not_relevant_created": marked,
            "discoverable_enterprises": sum(1 for o in organizations.values() if o.discoverable)}
