"""Review operations. Invariants:

- only a member of one of the deal's two organisations reviews, for that organisation, the
  other one; only once the deal is done (a completed or settled booking, a licence in force, an
  active or ended lease);
- one review per organisation per deal: checked first, and held by a unique constraint, so a
  double submission gives one review and a ConflictError (409) for the other;
- one report per user per review; an officer hides the review (closing its reports) or
  dismisses the open reports; hidden reviews are shown and counted nowhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.errors import ConflictError, DomainError, NotAllowedError, NotFoundError
from marketplace.extensions import utcnow
from marketplace.organizations.models import Organization
from marketplace.reviews.models import (
    MAX_REASON,
    MAX_TEXT,
    DealKind,
    ReportOutcome,
    Review,
    ReviewReport,
)
from marketplace.transactions import begin_write

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deal:
    """What a review needs to know of a deal, whatever its kind."""

    kind: DealKind
    id: int
    listing_id: int
    provider_org_id: int  # the listing's side: lab, licensor, landlord
    client_org_id: int  # booker, licensee, tenant
    is_done: bool

    @property
    def org_ids(self) -> tuple[int, int]:
        return (self.provider_org_id, self.client_org_id)


def _model(kind: DealKind):
    # imported lazily: reviews depend on the deal slices, never the other way round
    if kind is DealKind.BOOKING:
        from marketplace.bookings.models import Booking

        return Booking
    if kind is DealKind.LICENCE:
        from marketplace.licensing.models import LicenceAgreement

        return LicenceAgreement
    from marketplace.spaces.models import Lease

    return Lease


def describe(kind: DealKind | str, deal) -> Deal:
    kind = DealKind(kind)
    if kind is DealKind.BOOKING:
        from marketplace.bookings.models import BookingStatus

        return Deal(kind, deal.id, deal.instrument_id, deal.instrument.organization_id,
                    deal.organization_id,
                    deal.status in (BookingStatus.COMPLETED, BookingStatus.SETTLED))
    if kind is DealKind.LICENCE:
        from marketplace.licensing.models import LicenceStatus

        return Deal(kind, deal.id, deal.technology_id, deal.licensor_org_id, deal.licensee_org_id,
                    deal.status == LicenceStatus.IN_FORCE)
    from marketplace.spaces.models import LeaseStatus

    return Deal(kind, deal.id, deal.space_id, deal.landlord_org_id, deal.tenant_org_id,
                deal.status in (LeaseStatus.ACTIVE, LeaseStatus.ENDED))


def get_deal(session: Session, kind: str, deal_id: int):
    """The deal object of that kind, or NotFoundError."""
    try:
        kind = DealKind(kind)
    except ValueError:
        raise NotFoundError(_l("No such deal.")) from None
    deal = session.get(_model(kind), deal_id)
    if deal is None:
        raise NotFoundError(_l("No such deal."))
    return deal


def side_of(session: Session, deal: Deal, user, organization=None) -> Organization | None:
    """The user's organisation among the deal's two (``organization`` if given and one of
    them); None if the user is on neither side."""
    if not (user and user.is_authenticated):
        return None
    ids = {m.organization_id for m in user.memberships} & set(deal.org_ids)
    if organization is not None:
        return organization if organization.id in ids else None
    if not ids:
        return None
    # a user in both organisations reviews for the client side unless told otherwise
    chosen = deal.client_org_id if deal.client_org_id in ids else deal.provider_org_id
    return session.get(Organization, chosen)


def find_review(session: Session, deal: Deal, author_org_id: int) -> Review | None:
    return session.scalars(sa.select(Review).where(
        Review.deal_kind == deal.kind, Review.deal_id == deal.id,
        Review.author_org_id == author_org_id)).one_or_none()


def create_review(session: Session, user, *, deal_kind, deal, stars, text: str = "",
                  author_organization=None) -> Review:
    """One organisation's review of the other side of a done deal."""
    info = describe(deal_kind, deal)
    author_org = side_of(session, info, user, author_organization)
    if author_org is None:
        raise NotAllowedError(_l("Only the two organisations of a deal can review it."))
    if not info.is_done:
        raise ConflictError(_l("This can be reviewed once it is completed."))
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise DomainError(_l("Give from 1 to 5 stars."), "stars")
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_TEXT), "text")
    begin_write(session)  # SQLite: the writer lock before the read that decides
    if find_review(session, info, author_org.id) is not None:
        raise ConflictError(_l("Your organisation has already reviewed this deal."))
    subject_id = info.client_org_id if author_org.id == info.provider_org_id else info.provider_org_id
    review = Review(deal_kind=info.kind, deal_id=info.id, listing_id=info.listing_id,
                    author_org_id=author_org.id, subject_org_id=subject_id, author_id=user.id,
                    stars=stars, text=text, created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(review)
    except IntegrityError:  # the same review submitted twice at once: the first one stands
        raise ConflictError(_l("Your organisation has already reviewed this deal.")) from None
    log.info("review %s of %s %s by organisation %s", review.id, info.kind, info.id,
             author_org.id)
    return review


def report_review(session: Session, review: Review, user, reason: str) -> ReviewReport:
    """Report a review to the programme office (once per user: again returns the first)."""
    if not review.can_report(user):
        raise NotFoundError(_l("Review not found."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say what is wrong with this review."), "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_REASON), "reason")
    existing = session.scalars(sa.select(ReviewReport).where(
        ReviewReport.review_id == review.id, ReviewReport.reporter_id == user.id)).one_or_none()
    if existing is not None:
        return existing
    report = ReviewReport(review_id=review.id, reporter_id=user.id, reason=reason,
                          created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(report)
        session.expire(review, ["reports"])
    except IntegrityError:
        return session.scalars(sa.select(ReviewReport).where(
            ReviewReport.review_id == review.id, ReviewReport.reporter_id == user.id)).one()
    return report


def _officer(user) -> None:
    if not (user and user.is_authenticated and user.is_officer):
        raise NotAllowedError(_l("Only programme officers moderate reviews."))


def hide_review(session: Session, review: Review, officer) -> None:
    """Hide the review; its open reports are closed as acted on."""
    _officer(officer)
    if review.is_hidden:
        raise ConflictError(_l("This review is already hidden."))
    now = utcnow()
    review.hide(officer, now)
    for report in review.open_reports:
        report.close(officer, ReportOutcome.HIDDEN, now)
    session.flush()


def dismiss_reports(session: Session, review: Review, officer) -> None:
    """Keep the review; its open reports are closed as dismissed."""
    _officer(officer)
    reports = review.open_reports
    if not reports:
        raise ConflictError(_l("This review has no open reports."))
    now = utcnow()
    for report in reports:
        report.close(officer, ReportOutcome.DISMISSED, now)
    session.flush()


# ---------------------------------------------------------------------------------------------
# reading
@dataclass
class Summary:
    count: int
    average: float | None
    reviews: list[Review]


def _summary(session: Session, *conditions, limit: int = 20) -> Summary:
    visible = (Review.hidden_at.is_(None), *conditions)
    count, average = session.execute(
        sa.select(sa.func.count(Review.id), sa.func.avg(Review.stars)).where(*visible)).one()
    reviews = list(session.scalars(sa.select(Review).where(*visible)
                                   .order_by(Review.id.desc()).limit(limit)))
    return Summary(count or 0, round(float(average), 1) if average is not None else None,
                   reviews)


def listing_summary(session: Session, listing) -> Summary:
    """What clients said about the listing's organisation for deals on this listing."""
    return _summary(session, Review.listing_id == listing.id,
                    Review.subject_org_id == listing.organization_id)


def organization_summary(session: Session, organization) -> Summary:
    return _summary(session, Review.subject_org_id == organization.id)


def list_reported(session: Session) -> list[Review]:
    """Reviews with open reports, oldest first."""
    open_ids = sa.select(ReviewReport.review_id).where(ReviewReport.handled_at.is_(None))
    return list(session.scalars(sa.select(Review).where(Review.id.in_(open_ids))
                                .order_by(Review.id)))
