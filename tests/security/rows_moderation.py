"""S1 authorization-matrix rows for marketplace.moderation (step 7); appended in test_authz_matrix.

The world: org A's published instrument ``listing_a`` (``listing_status=PUB``); for the
take-down rows an officer has taken it down (``takedown``). The officers' pages are for officers
and admins (403 to the others); the appeal page is for the owner's organisation (and officers,
who read but do not appeal: 403 on POST); everyone else gets a 404.
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, MISSING, Row


def takedown_world(w) -> None:
    from listings.models import Listing
    from marketplace.auth.models import User
    from marketplace.extensions import db
    from marketplace.moderation import operations

    officer = db.session.get(User, w.uid("officer"))
    listing = db.session.get(Listing, w.listing_a)
    takedown = operations.take_down_listing(db.session, listing, officer, "矩阵测试下架")
    db.session.commit()
    w.extra["takedown"] = takedown.id


def review_world(w) -> None:
    """Org B's member has reviewed org A on listing_a (the deal itself is not needed here)."""
    from marketplace.extensions import db
    from marketplace.reviews.models import DealKind, Review

    review = Review(deal_kind=DealKind.BOOKING, deal_id=MISSING, listing_id=w.listing_a,
                    author_org_id=w.org_b_id, subject_org_id=w.org_a_id,
                    author_id=w.uid("other_org"), stars=1, text="矩阵测试评价")
    db.session.add(review)
    db.session.commit()
    w.extra["review"] = review.id


def suspended_world(w) -> None:
    """The target user has been suspended by the officer."""
    from marketplace.auth.models import User
    from marketplace.extensions import db
    from marketplace.moderation import operations

    officer = db.session.get(User, w.uid("officer"))
    target = db.session.get(User, w.target_id)
    operations.suspend_user(db.session, target, officer, "矩阵测试暂停")
    db.session.commit()


def _review(w) -> str:
    return f"/office/moderation/reviews/{w.extra['review']}/take-down"


def _takedown(suffix: str = "", missing: bool = False):
    return lambda w: f"/office/moderation/takedowns/{MISSING if missing else w.extra['takedown']}{suffix}"


def _appeal(w) -> str:
    return f"/moderation/takedowns/{w.extra['takedown']}/appeal"


def data(**values):
    return lambda w: dict(values)


PUB = "published"
T = {"extra": takedown_world, "listing_status": PUB}
RV = {"extra": review_world, "listing_status": PUB}
OFFICERS = "L    403  403  403  403  200  200"
OFFICERS_ACT = "L    403  403  403  403  302! 302!"

# fmt: off
#                                                   anon  plain memA ownA  other offcr admin
MODERATION_ROWS: list = [
    Row("moderation.index", "GET", "", OFFICERS, lambda w: "/office/moderation/"),
    Row("moderation.take_down_listing", "GET", "", OFFICERS,
        lambda w: f"/office/moderation/listings/{w.listing_a}/take-down", listing_status=PUB),
    Row("moderation.take_down_listing", "POST", "", OFFICERS_ACT,
        lambda w: f"/office/moderation/listings/{w.listing_a}/take-down", data(reason="违规"),
        listing_status=PUB),
    Row("moderation.take_down_listing", "POST", "no-reason", "L    403  403  403  403  400  400",
        lambda w: f"/office/moderation/listings/{w.listing_a}/take-down", data(reason=""),
        listing_status=PUB),
    Row("moderation.take_down_listing", "POST", "again", "L    403  403  403  403  409  409",
        lambda w: f"/office/moderation/listings/{w.listing_a}/take-down", data(reason="再次"),
        **T),
    Row("moderation.take_down_review", "GET", "", OFFICERS, _review, **RV),
    Row("moderation.take_down_review", "POST", "", OFFICERS_ACT, _review, data(reason="人身攻击"),
        **RV),
    Row("moderation.take_down_review", "GET", "missing", "L    403  403  403  403  404  404",
        lambda w: f"/office/moderation/reviews/{MISSING}/take-down"),
    Row("moderation.take_down_review", "POST", "missing", "L    403  403  403  403  404  404",
        lambda w: f"/office/moderation/reviews/{MISSING}/take-down", data(reason="x")),
    Row("moderation.show", "GET", "", OFFICERS, _takedown(), **T),
    Row("moderation.show", "GET", "missing", "L    403  403  403  403  404  404",
        _takedown(missing=True), **T),
    Row("moderation.show", "POST", "", OFFICERS_ACT, _takedown(), data(decision="restore"), **T),
    Row("moderation.suspend", "GET", "", OFFICERS, lambda w: f"/office/moderation/users/{w.target_id}/suspend"),
    Row("moderation.suspend", "POST", "", OFFICERS_ACT,
        lambda w: f"/office/moderation/users/{w.target_id}/suspend", data(reason="刷单")),
    Row("moderation.suspend", "POST", "missing", "L    403  403  403  403  404  404",
        lambda w: f"/office/moderation/users/{MISSING}/suspend", data(reason="刷单")),
    Row("moderation.unsuspend", "GET", "", ALL("405"),
        lambda w: f"/office/moderation/users/{w.target_id}/unsuspend"),
    Row("moderation.unsuspend", "POST", "not-suspended", "L    403  403  403  403  409  409",
        lambda w: f"/office/moderation/users/{w.target_id}/unsuspend"),
    Row("moderation.unsuspend", "POST", "suspended", OFFICERS_ACT,
        lambda w: f"/office/moderation/users/{w.target_id}/unsuspend", extra=suspended_world),
    Row("moderation_owner.appeal", "GET", "", "L    404  200  200  404  200  200", _appeal, **T),
    Row("moderation_owner.appeal", "POST", "", "L    404  302! 302! 404  403  403", _appeal,
        data(text="请复核"), **T),
    Row("moderation_owner.appeal", "POST", "empty", "L    404  400  400  404  403  403", _appeal,
        data(text=""), **T),
]
# fmt: on
