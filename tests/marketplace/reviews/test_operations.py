"""Review rules: who may review which deal and when, once per organisation per deal (also
under a double submission), ratings on listings and organisations, reports and moderation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.errors import ConflictError, DomainError, NotAllowedError, NotFoundError
from marketplace.extensions import db
from marketplace.reviews import operations as ops
from marketplace.reviews.models import ReportOutcome, Review
from tests.marketplace.bookings.concurrency import run_in_threads
from tests.marketplace.reviews.helpers import active_lease, completed_booking, licence_in_force


def _review(user, deal, stars=5, text="很好", kind="booking"):
    review = ops.create_review(db.session, user, deal_kind=kind, deal=deal, stars=stars,
                               text=text)
    db.session.commit()
    return review


def test_each_side_of_a_completed_booking_reviews_the_other_once():
    d = completed_booking()
    client_review = _review(d.sme_user, d.booking, 4, "测试及时")
    assert (client_review.author_org_id, client_review.subject_org_id) == (d.sme.id, d.lab.id)
    assert client_review.listing_id == d.instrument.id
    lab_review = _review(d.lab_user, d.booking, 5, "样品准备充分")
    assert lab_review.subject_org_id == d.sme.id
    with pytest.raises(ConflictError):
        ops.create_review(db.session, d.sme_user, deal_kind="booking", deal=d.booking, stars=1)
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 2


def test_listing_and_organisation_ratings_count_what_clients_said():
    d = completed_booking()
    _review(d.sme_user, d.booking, 3)
    _review(d.lab_user, d.booking, 5)  # about the SME: not on the listing
    listing = ops.listing_summary(db.session, d.instrument)
    assert (listing.count, listing.average) == (1, 3.0)
    assert ops.organization_summary(db.session, d.lab).count == 1
    assert (ops.organization_summary(db.session, d.sme).average) == 5.0


def test_review_refused_before_completion_and_for_outsiders():
    d = completed_booking(complete=False)
    with pytest.raises(ConflictError):
        ops.create_review(db.session, d.sme_user, deal_kind="booking", deal=d.booking, stars=5)
    d2 = completed_booking()
    for user in (d2.outsider, d2.officer, d.sme_user):
        with pytest.raises(NotAllowedError):
            ops.create_review(db.session, user, deal_kind="booking", deal=d2.booking, stars=5)


@pytest.mark.parametrize("stars", [0, 6, -1, None, "5"])
def test_stars_must_be_one_to_five(stars):
    d = completed_booking()
    with pytest.raises(DomainError) as error:
        ops.create_review(db.session, d.sme_user, deal_kind="booking", deal=d.booking,
                          stars=stars)
    assert error.value.field == "stars"


def test_text_at_most_2000_characters():
    d = completed_booking()
    with pytest.raises(DomainError) as error:
        ops.create_review(db.session, d.sme_user, deal_kind="booking", deal=d.booking, stars=4,
                          text="好" * 2001)
    assert error.value.field == "text"
    assert _review(d.sme_user, d.booking, 4, "好" * 2000).text == "好" * 2000


def test_licence_in_force_and_active_lease_can_be_reviewed():
    agreement, licensor, licensee = licence_in_force()
    review = _review(licensee, agreement, 5, kind="licence")
    assert (review.listing_id, review.subject_org_id) == (agreement.technology_id,
                                                          agreement.licensor_org_id)
    assert _review(licensor, agreement, 4, kind="licence").subject_org_id == agreement.licensee_org_id
    lease, landlord, tenant = active_lease()
    assert _review(tenant, lease, 2, kind="lease").subject_org_id == lease.landlord_org_id
    # the same deal id under another kind is another deal
    assert ops.describe("lease", lease).is_done


def test_licence_awaiting_payment_and_ended_lease():
    from marketplace.licensing.models import LicenceStatus
    from marketplace.spaces.models import LeaseStatus

    agreement, _, licensee = licence_in_force()
    agreement.status, agreement.upfront_fee_fen = LicenceStatus.AWAITING_PAYMENT, 100
    db.session.flush()
    with pytest.raises(ConflictError):
        ops.create_review(db.session, licensee, deal_kind="licence", deal=agreement, stars=3)
    db.session.rollback()
    lease, _, tenant = active_lease()
    lease.status = LeaseStatus.ENDED
    db.session.commit()
    assert _review(tenant, lease, 3, kind="lease").stars == 3


def test_unknown_deal_kind_or_id_is_not_found():
    with pytest.raises(NotFoundError):
        ops.get_deal(db.session, "rocket", 1)
    with pytest.raises(NotFoundError):
        ops.get_deal(db.session, "booking", 999_999)


def test_reports_hide_and_dismiss():
    d = completed_booking()
    review = _review(d.sme_user, d.booking, 1, "差评")
    with pytest.raises(DomainError):
        ops.report_review(db.session, review, d.lab_user, "  ")
    first = ops.report_review(db.session, review, d.lab_user, "不实评价")
    assert ops.report_review(db.session, review, d.lab_user, "again").id == first.id
    ops.report_review(db.session, review, d.outsider, "辱骂")
    db.session.commit()
    assert [r.id for r in ops.list_reported(db.session)] == [review.id]
    with pytest.raises(NotAllowedError):
        ops.hide_review(db.session, review, d.lab_user)
    ops.dismiss_reports(db.session, review, d.officer)
    db.session.commit()
    assert ops.list_reported(db.session) == []
    with pytest.raises(ConflictError):
        ops.dismiss_reports(db.session, review, d.officer)
    ops.report_review(db.session, review, d.officer, "再看")
    ops.hide_review(db.session, review, d.officer)
    db.session.commit()
    assert {r.outcome for r in review.reports} == {ReportOutcome.DISMISSED, ReportOutcome.HIDDEN}
    assert ops.listing_summary(db.session, d.instrument).count == 0
    with pytest.raises(ConflictError):
        ops.hide_review(db.session, review, d.officer)
    with pytest.raises(NotFoundError):  # hidden: no more reports
        ops.report_review(db.session, review, d.outsider, "x")


def test_double_submitted_review_makes_one(app):
    d = completed_booking()
    booking_id, user_id = d.booking.id, d.sme_user.id

    def submit(index):
        from marketplace.auth.models import User
        from marketplace.bookings.models import Booking

        review = ops.create_review(db.session, db.session.get(User, user_id),
                                   deal_kind="booking", deal=db.session.get(Booking, booking_id),
                                   stars=index + 4, text="双击")
        db.session.commit()
        return review.id

    outcomes = run_in_threads(app, 2, submit)
    errors = [o.error for o in outcomes if o.error is not None]
    assert len(errors) == 1 and isinstance(errors[0], ConflictError), errors
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 1
