"""S1 rows for the reviews routes (step 5); appended to ``test_authz_matrix.ROWS``.

The step-3 world (``step3=True``): org A (owner_a, member_a) is the lab, org B (other_org) booked
its instrument; booking ``owed`` is completed, ``requested`` is not. ``review_world`` adds
other_org's review of ``owed`` (``review``) and plain's report of it; ``hidden`` has an officer
hide it; ``unreported`` has the review without reports. Outsiders (plain) cannot see a deal:
404; officers may look at the review form but not review (403), and alone moderate.
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, MISSING, OFFICERS, SIGNED_IN, Row, fixed


def _user(w, persona):
    from marketplace.auth.models import User
    from marketplace.extensions import db

    return db.session.get(User, w.uid(persona))


def review_world(w, *, report: bool = True, hidden: bool = False) -> None:
    from marketplace.bookings.models import Booking
    from marketplace.extensions import db
    from marketplace.reviews import operations as ops

    booking = db.session.get(Booking, w.bookings["owed"])
    review = ops.create_review(db.session, _user(w, "other_org"), deal_kind="booking",
                               deal=booking, stars=2, text="报告晚了两天")
    if report:
        ops.report_review(db.session, review, _user(w, "plain"), "与事实不符")
    if hidden:
        ops.hide_review(db.session, review, _user(w, "officer"))
    db.session.commit()
    w.extra["review"] = review.id


def _deal(state: str, kind: str = "booking"):
    return lambda w: f"/reviews/{kind}/{w.bookings.get(state, MISSING)}"


def _review(suffix: str, missing: bool = False):
    return lambda w: f"/reviews/{MISSING if missing else w.extra['review']}{suffix}"


def data(**values):
    return lambda w: dict(values)


S3 = {"step3": True}
R = {"step3": True, "extra": review_world}
HIDDEN = {"step3": True, "extra": lambda w: review_world(w, hidden=True)}
UNREPORTED = {"step3": True, "extra": lambda w: review_world(w, report=False)}

# fmt: off
#                                                  anon  plain memA ownA  other offcr admin
REVIEW_ROWS: list = [
    Row("reviews.create", "GET", "completed", "L    404  200  200  200  200  200", _deal("owed"),
        **S3),
    Row("reviews.create", "GET", "missing", SIGNED_IN("L", "404"), _deal("missing"), **S3),
    Row("reviews.create", "GET", "unknown-kind", SIGNED_IN("L", "404"), fixed("/reviews/rocket/1"),
        **S3),
    Row("reviews.create", "POST", "completed", "L    404  302! 302! 302! 403  403", _deal("owed"),
        data(stars="4", text="样品准备充分"), **S3),
    # other_org has reviewed it already: one review per organisation and deal
    Row("reviews.create", "POST", "reviewed", "L    404  302! 302! 409  403  403", _deal("owed"),
        data(stars="4"), **R),
    Row("reviews.create", "POST", "not-completed", "L    404  409  409  409  403  403",
        _deal("requested"), data(stars="4"), **S3),
    Row("reviews.create", "POST", "licence-missing", SIGNED_IN("L", "404"),
        fixed(f"/reviews/licence/{MISSING}"), data(stars="4"), **S3),
    Row("reviews.create", "POST", "missing", SIGNED_IN("L", "404"), _deal("missing"),
        data(stars="4"), **S3),
    # --- reports and moderation --------------------------------------------------------------
    Row("reviews.report", "GET", "", SIGNED_IN("L", "200"), _review("/report"), **R),
    Row("reviews.report", "GET", "hidden", "L    404  404  404  404  200  200", _review("/report"),
        **HIDDEN),
    Row("reviews.report", "GET", "missing", SIGNED_IN("L", "404"), _review("/report", True), **R),
    # plain has reported it already (once per user)
    Row("reviews.report", "POST", "", "L    302  302! 302! 302! 302! 302!", _review("/report"),
        data(reason="用语不当"), **R),
    Row("reviews.report", "POST", "hidden", SIGNED_IN("L", "404"), _review("/report"),
        data(reason="用语不当"), **HIDDEN),
    Row("reviews.hide", "GET", "", ALL("405"), _review("/hide"), **R),
    Row("reviews.hide", "POST", "", OFFICERS("302!"), _review("/hide"), **R),
    Row("reviews.hide", "POST", "hidden", OFFICERS("409"), _review("/hide"), **HIDDEN),
    Row("reviews.hide", "POST", "missing", OFFICERS("404"), _review("/hide", True), **R),
    Row("reviews.dismiss", "GET", "", ALL("405"), _review("/dismiss"), **R),
    Row("reviews.dismiss", "POST", "", OFFICERS("302!"), _review("/dismiss"), **R),
    Row("reviews.dismiss", "POST", "no-open-reports", OFFICERS("409"), _review("/dismiss"),
        **UNREPORTED),
]
# fmt: on
