"""Viewing requests, lease offers and leases: the rules, straight through the operations."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.errors import ConflictError, DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.feedback import DeclineReason
from marketplace.organizations.models import VerificationStatus
from marketplace.spaces import operations as ops
from marketplace.spaces.models import (
    Lease,
    LeaseOffer,
    LeaseOfferStatus,
    LeaseStatus,
    ViewingStatus,
)
from tests.factories import make_organization, make_user
from tests.marketplace.spaces.helpers import later, make_leasing, start_in

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _offer(w, area=500, key=None, user=None, **kw):
    values = {"term_months": 12, "start_date": start_in(), "deposit_fen": 100_000}
    values.update(kw)
    return ops.make_lease_offer(db.session, w.space, user or w.tenant, area_m2=area,
                                key=key or f"k{area}-{utcnow().timestamp()}-{id(kw)}",
                                now=utcnow(), **values)


# --- viewings -----------------------------------------------------------------------------
def test_viewing_request_accept_and_mail_both_ways(outbox):
    w = make_leasing()
    w.tenant.locale = "en"  # mail goes out in each recipient's language (zh by default)
    times = [later(3, 10), later(2, 15)]
    viewing = ops.request_viewing(db.session, w.space, w.tenant, times=times, note="看看层高",
                                  now=utcnow())
    db.session.commit()
    assert viewing.status == ViewingStatus.REQUESTED
    assert viewing.options == sorted(times)  # kept in time order, stored in UTC
    assert viewing.tenant_org_id == w.tenant_org.id
    assert [m.recipient for m in outbox()] == [w.landlord.email]
    assert w.space.title_zh in outbox()[0].subject
    ops.accept_viewing(db.session, viewing, w.landlord, chosen=viewing.options[1], now=utcnow())
    db.session.commit()
    assert viewing.status == ViewingStatus.ACCEPTED
    assert viewing.scheduled_at == later(3, 10)
    assert viewing.ends_at - viewing.scheduled_at == timedelta(hours=1)
    mails = outbox()
    assert mails[-1].recipient == w.tenant.email and "Viewing confirmed" in mails[-1].subject


def test_viewing_times_must_be_one_to_three_future_and_distinct():
    w = make_leasing()
    now = utcnow()
    for times, field in (([], "time_1"), ([later(1)] * 2, "time_2"),
                         ([later(1), later(2), later(3), later(4)], "time_1"),
                         ([now - timedelta(minutes=1)], "time_1"),
                         ([later(1), now - timedelta(hours=1)], "time_2"),
                         ([later(400)], "time_1")):
        with pytest.raises(DomainError) as caught:
            ops.request_viewing(db.session, w.space, w.tenant, times=times, now=now)
        assert caught.value.field == field, times
    with pytest.raises(DomainError):
        ops.request_viewing(db.session, w.space, w.tenant, times=[later(1)], note="x" * 1001,
                            now=now)


def test_who_may_request_a_viewing():
    w = make_leasing()
    now = utcnow()
    with pytest.raises(NotAllowedError):  # the landlord's own members
        ops.request_viewing(db.session, w.space, w.landlord, times=[later()], now=now)
    loner = make_user()
    with pytest.raises(NotAllowedError):  # no organisation
        ops.request_viewing(db.session, w.space, loner, times=[later()], now=now)
    pending_member = make_user()
    make_organization(pending_member, status=VerificationStatus.PENDING)
    with pytest.raises(NotAllowedError):  # not verified
        ops.request_viewing(db.session, w.space, pending_member, times=[later()], now=now)
    w.space.archive(now)
    with pytest.raises(ConflictError):
        ops.request_viewing(db.session, w.space, w.tenant, times=[later()], now=now)


def test_two_organisations_must_choose_which_one_acts():
    w = make_leasing()
    second = make_organization(make_user(), members=(w.tenant,))
    with pytest.raises(DomainError) as caught:
        ops.request_viewing(db.session, w.space, w.tenant, times=[later()], now=utcnow())
    assert caught.value.field == "organization_id"
    viewing = ops.request_viewing(db.session, w.space, w.tenant, times=[later()],
                                  organization=second, now=utcnow())
    assert viewing.tenant_org_id == second.id
    with pytest.raises(NotAllowedError):  # an organisation the user does not belong to
        ops.request_viewing(db.session, w.space, w.outsider, times=[later()],
                            organization=second, now=utcnow())


def test_viewing_answers_only_by_the_landlord_and_only_once(outbox):
    w = make_leasing()
    viewing = ops.request_viewing(db.session, w.space, w.tenant, times=[later(2), later(3)],
                                  now=utcnow())
    for user in (w.tenant, w.outsider):
        with pytest.raises(NotAllowedError):
            ops.accept_viewing(db.session, viewing, user, chosen=later(2), now=utcnow())
        with pytest.raises(NotAllowedError):
            ops.decline_viewing(db.session, viewing, user, note="不行", now=utcnow())
    with pytest.raises(DomainError) as caught:  # not one of the proposed times
        ops.accept_viewing(db.session, viewing, w.landlord, chosen=later(4), now=utcnow())
    assert caught.value.field == "chosen"
    with pytest.raises(DomainError) as caught:
        ops.decline_viewing(db.session, viewing, w.landlord, note="  ", now=utcnow())
    assert caught.value.field == "reason"
    ops.decline_viewing(db.session, viewing, w.landlord, note="那周在装修", now=utcnow())
    db.session.commit()
    assert viewing.status == ViewingStatus.DECLINED and viewing.decline_note == "那周在装修"
    assert "那周在装修" in outbox()[-1].body
    with pytest.raises(InvalidStateError):
        ops.accept_viewing(db.session, viewing, w.landlord, chosen=later(2), now=utcnow())


def test_a_proposed_time_that_has_passed_cannot_be_accepted():
    w = make_leasing()
    soon = utcnow() + timedelta(minutes=5)
    viewing = ops.request_viewing(db.session, w.space, w.tenant, times=[soon], now=utcnow())
    with pytest.raises(DomainError, match="passed"):
        ops.accept_viewing(db.session, viewing, w.landlord, chosen=viewing.options[0],
                           now=soon + timedelta(minutes=1))


def test_requester_cancels_a_confirmed_viewing_and_the_landlord_hears(outbox):
    w = make_leasing()
    viewing = ops.request_viewing(db.session, w.space, w.tenant, times=[later()], now=utcnow())
    ops.accept_viewing(db.session, viewing, w.landlord, chosen=later(), now=utcnow())
    with pytest.raises(NotAllowedError):
        ops.cancel_viewing(db.session, viewing, w.landlord, now=utcnow())
    ops.cancel_viewing(db.session, viewing, w.tenant, now=utcnow())
    db.session.commit()
    assert viewing.status == ViewingStatus.CANCELLED
    assert outbox()[-1].recipient == w.landlord.email
    with pytest.raises(InvalidStateError):
        ops.cancel_viewing(db.session, viewing, w.tenant, now=utcnow())


# --- offers ---------------------------------------------------------------------------------
def test_offer_defaults_to_the_listed_rent_for_its_area(outbox):
    w = make_leasing(rent_fen=2_500)
    offer = _offer(w, area=400)
    db.session.commit()
    assert offer.monthly_rent_fen == 400 * 2_500
    assert offer.status == LeaseOfferStatus.SUBMITTED
    assert outbox()[-1].recipient == w.landlord.email
    own = _offer(w, area=300, monthly_rent_fen=500_000)
    assert own.monthly_rent_fen == 500_000


@pytest.mark.parametrize(("values", "field"), [
    ({"area": 0}, "area_m2"),
    ({"area": 2001}, "area_m2"),
    ({"area": True}, "area_m2"),
    ({"monthly_rent_fen": -1}, "monthly_rent"),
    ({"term_months": 5}, "term_months"),  # the space's shortest lease is 6 months
    ({"term_months": 241}, "term_months"),
    ({"start_date": None}, "start_date"),
    ({"deposit_fen": -100}, "deposit"),
    ({"message": "长" * 2001}, "message"),
])
def test_offer_bad_terms_are_refused_on_their_field(values, field):
    w = make_leasing()
    with pytest.raises(DomainError) as caught:
        _offer(w, **values)
    assert caught.value.field == field


def test_offer_start_date_not_before_available_from_nor_in_the_past():
    w = make_leasing(available_from=start_in(60))
    with pytest.raises(DomainError, match="available from") as caught:
        _offer(w, start_date=start_in(59))
    assert caught.value.field == "start_date"
    with pytest.raises(DomainError, match="past"):
        _offer(w, start_date=start_in(-1))
    assert _offer(w, start_date=start_in(60)).start_date == start_in(60)


def test_offer_form_sent_twice_makes_one_offer():
    w = make_leasing()
    first = _offer(w, key="same-key")
    again = _offer(w, key="same-key", area=700)
    assert again.id == first.id
    with pytest.raises(ConflictError):  # another user with that key learns nothing
        _offer(w, key="same-key", user=w.outsider)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeaseOffer)) == 1


def test_accepting_concludes_a_lease_and_lowers_the_free_area(outbox):
    w = make_leasing(area_m2=2000)
    offer = _offer(w, area=1500, deposit_fen=300_000)
    lease = ops.accept_lease_offer(db.session, offer, w.landlord, now=utcnow())
    db.session.commit()
    assert offer.status == LeaseOfferStatus.ACCEPTED
    assert (lease.area_m2, lease.deposit_fen, lease.term_months) == (1500, 300_000, 12)
    assert lease.landlord_org_id == w.landlord_org.id and lease.tenant_org_id == w.tenant_org.id
    assert lease.status == LeaseStatus.ACTIVE and lease.number.startswith("CZ-SL-")
    assert lease.number.endswith(f"{lease.id:06d}")
    assert w.space.area_free_m2 == 500
    assert ops.leased_area(db.session, w.space) == 1500
    assert outbox()[-1].recipient == w.tenant.email and lease.number in outbox()[-1].body
    # accepting it again (a double click) answers with the same lease
    assert ops.accept_lease_offer(db.session, offer, w.landlord, now=utcnow()).id == lease.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lease)) == 1


def test_accept_refused_when_the_remaining_area_is_too_small():
    w = make_leasing(area_m2=1000)
    big, other = _offer(w, area=800), _offer(w, area=300)
    ops.accept_lease_offer(db.session, big, w.landlord, now=utcnow())
    db.session.commit()
    with pytest.raises(ops.AreaUnavailableError, match="Only 200 m²"):
        ops.accept_lease_offer(db.session, other, w.landlord, now=utcnow())
    db.session.rollback()
    assert other.status == LeaseOfferStatus.SUBMITTED and w.space.area_free_m2 == 200


def test_the_last_metre_makes_the_space_fully_let_and_no_more_offers():
    w = make_leasing(area_m2=600)
    ops.accept_lease_offer(db.session, _offer(w, area=600), w.landlord, now=utcnow())
    db.session.commit()
    assert w.space.area_free_m2 == 0 and not w.space.is_searchable
    assert not ops.can_offer(w.outsider, w.space) and ops.can_request(w.outsider, w.space)
    with pytest.raises(DomainError) as caught:
        _offer(w, area=1, user=w.outsider)
    assert caught.value.field == "area_m2"


def test_only_the_landlord_decides_and_only_the_tenant_withdraws(outbox):
    w = make_leasing()
    offer = _offer(w)
    for user in (w.tenant, w.outsider):
        with pytest.raises(NotAllowedError):
            ops.accept_lease_offer(db.session, offer, user, now=utcnow())
        with pytest.raises(NotAllowedError):
            ops.decline_lease_offer(db.session, offer, user, reason="price", now=utcnow())
    for user in (w.landlord, w.outsider):
        with pytest.raises(NotAllowedError):
            ops.withdraw_lease_offer(db.session, offer, user, now=utcnow())
    with pytest.raises(DomainError) as caught:
        ops.decline_lease_offer(db.session, offer, w.landlord, reason="cheap", now=utcnow())
    assert caught.value.field == "reason"
    ops.decline_lease_offer(db.session, offer, w.landlord, reason="price", note="低于市场价",
                            now=utcnow())
    db.session.commit()
    assert offer.decline_reason == DeclineReason.PRICE and offer.decline_note == "低于市场价"
    assert outbox()[-1].recipient == w.tenant.email
    with pytest.raises(InvalidStateError):
        ops.accept_lease_offer(db.session, offer, w.landlord, now=utcnow())


def test_withdrawn_offer_cannot_be_accepted():
    w = make_leasing()
    offer = _offer(w)
    ops.withdraw_lease_offer(db.session, offer, w.tenant, now=utcnow())
    db.session.commit()
    assert offer.status == LeaseOfferStatus.WITHDRAWN
    with pytest.raises(InvalidStateError):
        ops.accept_lease_offer(db.session, offer, w.landlord, now=utcnow())
    db.session.rollback()
    assert w.space.area_free_m2 == 2000


def test_lists_show_each_side_its_own_deals():
    w = make_leasing()
    offer = _offer(w)
    viewing = ops.request_viewing(db.session, w.space, w.tenant, times=[later()], now=utcnow())
    lease = ops.accept_lease_offer(db.session, offer, w.landlord, now=utcnow())
    for user in (w.landlord, w.tenant):
        assert ops.list_my_offers(db.session, user) == [offer]
        assert ops.list_my_viewings(db.session, user) == [viewing]
        assert ops.list_my_leases(db.session, user) == [lease]
    assert ops.list_my_offers(db.session, w.outsider) == []
    assert ops.list_my_leases(db.session, w.outsider) == []
    assert lease.can_view(w.tenant) and not lease.can_view(w.outsider)
    assert lease.end_date == start_in().replace(year=start_in().year + 1)


def test_ending_a_lease_frees_its_area_and_brings_the_space_back(app, outbox):
    from listings import search

    w = make_leasing(area_m2=800, title_zh="壶关县冷链仓储库房")
    lease = ops.accept_lease_offer(db.session, _offer(w, area=800), w.landlord, now=utcnow())
    db.session.commit()
    index_dir = app.config["SEARCH_INDEX_DIR"]

    def found():
        return search.search(index_dir, search.SearchRequest(text="冷链仓储", kind="space")).ids

    assert found() == []
    with pytest.raises(NotAllowedError):  # the tenant cannot end it here
        ops.end_lease(db.session, lease, w.tenant, now=utcnow())
    ops.end_lease(db.session, lease, w.landlord, now=utcnow())
    db.session.commit()
    assert lease.status == LeaseStatus.ENDED and lease.ended_at is not None
    assert w.space.area_free_m2 == 800 and found() == [w.space.id]
    assert outbox()[-1].recipient == w.tenant.email
    with pytest.raises(InvalidStateError):
        ops.end_lease(db.session, lease, w.landlord, now=utcnow())
