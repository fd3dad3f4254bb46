"""Booking pages: wiring, permissions and status codes (the rules are tested on the operations)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from listings.models import Instrument
from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking, BookingStatus, Qualification
from marketplace.bookings.rules import SHANGHAI
from marketplace.extensions import utcnow
from marketplace.organizations.models import OrganizationKind
from tests.factories import WEEKDAY_HOURS, make_organization, make_user
from tests.marketplace.bookings.helpers import assert_ledger_balanced, local, make_world


# ---------------------------------------------------------------------------------------------
# helpers
def english(client):
    """Messages in English (the source strings), so that tests can look for them."""
    assert client.post("/language", data={"lang": "en", "next": "/"}).status_code == 302


def count_bookings(db) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Booking))


def book(world, start, end, *, programme="default", now=None):
    booking = bookings.create_booking(
        world.instrument, world.sme, world.sme_user, start, end,
        programme=world.programme if programme == "default" else programme, purpose="断口分析",
        request_key=uuid.uuid4().hex, now=now or utcnow())
    return booking


def on_grid(moment):
    """The 30-minute grid time at or before ``moment``."""
    moment = moment.replace(second=0, microsecond=0)
    return moment - timedelta(minutes=moment.astimezone(SHANGHAI).minute % 30)


def slot_soon(hours: int = 3):
    """The start of a one-hour slot about ``hours`` ahead on the grid that ends by midnight in
    Beijing (a booking never crosses it); moved one hour earlier when it would, still >= 2 h ahead."""
    start = on_grid(utcnow() + timedelta(hours=hours))
    if (start + timedelta(hours=1)).astimezone(SHANGHAI).date() != start.astimezone(SHANGHAI).date():
        start -= timedelta(hours=1)
    return start


def started_booking(db, world, *, approve=True):
    """A booking that began about an hour ago (made two days ago), approved by the lab."""
    now = utcnow()
    start = on_grid(now - timedelta(hours=1))
    world.instrument.opening_hours = {str(d): [["00:00", "24:00"]] for d in range(7)}
    db.session.flush()
    end = start + timedelta(hours=2)
    overrun = end.astimezone(SHANGHAI)
    if overrun.date() != start.astimezone(SHANGHAI).date():  # a booking ends by midnight (Beijing)
        shift = timedelta(hours=overrun.hour, minutes=overrun.minute)
        start, end = start - shift, end - shift
    booking = book(world, start, end, now=now - timedelta(days=2))
    if approve:
        bookings.approve_booking(booking, world.lab_user, now - timedelta(days=2))
    db.session.commit()
    return booking


def form_data(world, day_offset=1, start="09:00", end="11:00", **overrides):
    day = local(day_offset, "00:00").astimezone(SHANGHAI).date()
    data = {"day": day.isoformat(), "starts_at": start, "ends_at": end,
            "organization_id": str(world.sme.id), "programme_id": str(world.programme.id),
            "purpose": "断口分析", "request_key": uuid.uuid4().hex, "preview": "y"}
    data.update(overrides)
    return data


def cells(html: str) -> dict[str, str]:
    """{"YYYY-MM-DDTHH:MM": state} of the week calendar."""
    return dict((start, state) for state, start in
                re.findall(r'data-state="(\w+)" data-start="([\dT:-]+)"', html))


# ---------------------------------------------------------------------------------------------
# the week calendar on the instrument page
def test_calendar_shows_free_taken_and_closed_cells_without_the_booker(client, auth, db):
    closed_day = local(2, "00:00").astimezone(SHANGHAI).date()
    day1 = local(1, "00:00").astimezone(SHANGHAI).date().isoformat()
    # open 08:00–12:00 and 13:00–18:00 every day, but only until 10:30 on day 1
    hours = {**WEEKDAY_HOURS, str(local(1, "00:00").astimezone(SHANGHAI).weekday()):
             [["08:00", "10:30"]]}
    world = make_world(closed_dates=[closed_day.isoformat()], opening_hours=hours)
    book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.commit()
    page = client.get(f"/listings/{world.instrument.id}?week={day1}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    grid = cells(html)
    assert grid[f"{day1}T09:00"] == grid[f"{day1}T09:30"] == "taken"
    assert grid[f"{day1}T10:00"] == "free" and grid[f"{day1}T08:30"] == "free"
    assert grid[f"{day1}T10:30"] == grid[f"{day1}T13:00"] == "closed"  # closes early that day
    assert f"{day1}T12:00" not in grid  # the lunch break is no row: closed every day
    assert {state for start, state in grid.items() if start.startswith(closed_day.isoformat())} \
        == {"closed"}
    assert len({start[:10] for start in grid}) == 7
    assert f"/instruments/{world.instrument.id}/book?date={day1}&amp;start=10:00" in html
    # the calendar never says who booked
    assert world.sme.name_zh not in html and world.sme_user.display_name not in html
    # the lab sees the same calendar
    auth.login_as(world.lab_user)
    assert cells(client.get(f"/listings/{world.instrument.id}?week={day1}")
                 .get_data(as_text=True))[f"{day1}T09:00"] == "taken"


def test_calendar_marks_the_past_and_the_horizon_and_navigates(client, db):
    world = make_world(booking_horizon_days=3)
    today = local(0, "00:00").astimezone(SHANGHAI).date()
    html = client.get(f"/listings/{world.instrument.id}").get_data(as_text=True)
    grid = cells(html)
    assert min(start[:10] for start in grid) == today.isoformat()  # the week starts today
    assert grid[f"{today + timedelta(days=6)}T09:00"] == "beyond"
    assert grid[f"{today}T08:00"] in ("too_soon", "free")
    assert "too_soon" in grid.values() or local(0, "08:00") > utcnow()
    assert f"week={today + timedelta(days=7)}" in html and f"week={today - timedelta(days=7)}" in html
    for garbage in ("2027-02-30", "soon", "99999-01-01"):
        page = client.get(f"/listings/{world.instrument.id}?week={garbage}")
        assert page.status_code == 200
        assert min(cells(page.get_data(as_text=True))) .startswith(today.isoformat())


def test_drafts_have_no_calendar_and_cannot_be_booked(client, auth, db):
    world = make_world(published=False)
    auth.login_as(world.lab_user)
    page = client.get(f"/listings/{world.instrument.id}")
    assert page.status_code == 200 and not cells(page.get_data(as_text=True))
    assert client.get(f"/instruments/{world.instrument.id}/book").status_code == 404
    assert client.get(f"/instruments/{world.instrument.id}/calendar.ics").status_code == 404


def test_instrument_page_shows_the_booking_rules(client, db):
    world = make_world(lead_time_hours=48, late_cancellation_bp=2550, no_show_bp=7500)
    english(client)
    html = client.get(f"/listings/{world.instrument.id}").get_data(as_text=True)
    assert "at least 48 hours" in html and "25.5 %" in html and "charged 75 %" in html


# ---------------------------------------------------------------------------------------------
# the booking form: preview, then confirm
def test_booking_form_needs_login_and_is_prefilled_from_the_calendar(client, auth, db):
    world = make_world()
    url = f"/instruments/{world.instrument.id}/book?date=2027-03-01&start=09:00"
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    auth.login_as(world.sme_user)
    html = client.get(url).get_data(as_text=True)
    assert 'value="2027-03-01"' in html and 'value="09:00"' in html and 'value="09:30"' in html
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', html)
    assert key and len(key[1]) >= 20
    assert f'<option selected value="{world.sme.id}">' in html
    assert f'<option data-orgs="{world.sme.id}" selected value="{world.programme.id}">' in html
    assert client.get(f"/instruments/{world.instrument.id}/book?date=x&start=99:99").status_code == 200
    assert client.get("/instruments/999999/book").status_code == 404


def test_preview_shows_the_split_and_writes_nothing(client, auth, db):
    world = make_world()  # ¥600/h, city 50 % + district 20 %, ¥10,000 of quota
    auth.login_as(world.sme_user)
    english(client)
    response = client.post(f"/instruments/{world.instrument.id}/book", data=form_data(world))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:3000]
    assert 'data-testid="quote"' in html
    assert re.search(r'data-testid="price">¥1,200<', html)
    assert re.search(r'data-testid="rate">¥600 per hour<', html)
    assert re.search(r'data-testid="minutes">120 minutes<', html)
    first, second = world.programme.layers
    assert re.search(rf'data-testid="layer-{first.id}">¥600<', html)
    assert re.search(rf'data-testid="layer-{second.id}">¥240<', html)
    assert re.search(r'data-testid="self-paid">¥360<', html)
    assert re.search(r'data-testid="remaining">¥9,160', html)
    expiry = world.quota.expires_at.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    assert expiry in html
    assert 'data-testid="confirm"' in html
    assert count_bookings(db) == 0
    # self-paid: no voucher lines
    response = client.post(f"/instruments/{world.instrument.id}/book",
                           data=form_data(world, programme_id="self"))
    html = response.get_data(as_text=True)
    assert re.search(r'data-testid="self-paid">¥1,200<', html) and "layer-" not in html
    # "change" goes back to the form with the values kept
    html = client.post(f"/instruments/{world.instrument.id}/book",
                       data={**form_data(world), "preview": "", "edit": "y"}).get_data(as_text=True)
    assert 'data-testid="preview"' in html and 'value="11:00"' in html
    assert count_bookings(db) == 0


def test_confirm_books_once_even_when_posted_twice(client, auth, db, outbox):
    world = make_world()
    auth.login_as(world.sme_user)
    data = {**form_data(world), "preview": "", "confirm": "y"}
    english(client)
    first = client.post(f"/instruments/{world.instrument.id}/book", data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:3000]
    assert "Booking request sent" in client.get(first.headers["Location"]).get_data(as_text=True)
    second = client.post(f"/instruments/{world.instrument.id}/book", data=data)
    assert second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert "had already been sent" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert count_bookings(db) == 1
    booking = db.session.scalar(sa.select(Booking))
    assert first.headers["Location"].endswith(f"/bookings/{booking.id}")
    assert booking.status == BookingStatus.REQUESTED
    assert (booking.price_fen, booking.voucher_held_fen) == (120_000, 84_000)
    assert booking.request_key == data["request_key"]
    assert_ledger_balanced()
    html = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert re.search(r'data-testid="voucher-held">¥840<', html)
    assert re.search(r'data-testid="self-paid-quote">¥360<', html)
    # a new form (another key) for the same time: taken
    again = client.post(f"/instruments/{world.instrument.id}/book",
                        data={**data, "request_key": uuid.uuid4().hex})
    assert again.status_code == 400 and "already taken" in again.get_data(as_text=True)
    assert count_bookings(db) == 1


def test_without_approval_the_booking_is_confirmed_at_once(client, auth, db):
    world = make_world(requires_approval=False)
    auth.login_as(world.sme_user)
    data = {**form_data(world, programme_id="self"), "preview": "", "confirm": "y"}
    assert client.post(f"/instruments/{world.instrument.id}/book", data=data).status_code == 302
    booking = db.session.scalar(sa.select(Booking))
    assert booking.status == BookingStatus.APPROVED and booking.voucher_held_fen == 0


BAD_INPUT = [
    ("empty", {"day": "", "starts_at": "", "ends_at": ""}, "Choose the day."),
    ("garbage date", {"day": "2027-02-30"}, "Not a valid date value."),
    ("garbage time", {"starts_at": "9 o'clock"}, "Write the time as HH:MM"),
    ("far date", {"day": "1899-01-01"}, "between 2000 and 2100"),
    ("end before start", {"starts_at": "11:00", "ends_at": "10:00"}, "must end after it starts"),
    ("outside opening hours", {"starts_at": "11:30", "ends_at": "13:30"}, "opening period"),
    ("off the grid", {"starts_at": "09:10"}, "30-minute grid"),
    ("unknown programme", {"programme_id": "999999"}, "Not a valid choice"),
    ("unknown organisation", {"organization_id": "999999"}, "Not a valid choice"),
    ("missing request key", {"request_key": ""}, "form has expired"),
]


BAD_CASES = [pytest.param(step, changes, message, id=f"{step}-{case}")
             for step in ("preview", "confirm") for case, changes, message in BAD_INPUT
             if not (step == "preview" and case == "missing request key")]  # preview needs none


@pytest.mark.parametrize(("step", "changes", "message"), BAD_CASES)
def test_bad_booking_input_is_refused_with_a_message(client, auth, db, step, changes, message):
    world = make_world()
    auth.login_as(world.sme_user)
    english(client)
    data = {**form_data(world), "preview": "", step: "y", **changes}
    response = client.post(f"/instruments/{world.instrument.id}/book", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html[:2000]
    assert message in html
    assert 'data-testid="confirm"' not in html
    assert count_bookings(db) == 0


def test_refusals_by_the_rules_say_why(client, auth, db):
    world = make_world(requires_training=True)
    auth.login_as(world.sme_user)
    english(client)
    url = f"/instruments/{world.instrument.id}/book"
    response = client.post(url, data=form_data(world))
    assert response.status_code == 400 and "only be used after training" in response.get_data(
        as_text=True)
    bookings.grant_qualification(world.instrument, world.sme_user.email, world.lab_user)
    world.instrument.accepts_vouchers = False
    db.session.commit()
    response = client.post(url, data=form_data(world))
    assert response.status_code == 400
    assert "does not accept innovation vouchers" in response.get_data(as_text=True)
    assert client.post(url, data=form_data(world, programme_id="self")).status_code == 200
    assert count_bookings(db) == 0


def test_user_without_organisation_is_told_to_register_one(client, auth, db):
    world = make_world()
    loner = make_user()
    db.session.commit()
    auth.login_as(loner)
    english(client)
    html = client.get(f"/instruments/{world.instrument.id}/book").get_data(as_text=True)
    assert "Register an organisation" in html
    response = client.post(f"/instruments/{world.instrument.id}/book", data=form_data(world))
    assert response.status_code == 400 and count_bookings(db) == 0


# ---------------------------------------------------------------------------------------------
# the booking page and its actions
def test_booking_page_for_booker_lab_and_officer_only(client, auth, db):
    world = make_world()
    booking = book(world, local(1, "09:00"), local(1, "10:00"))
    stranger = make_user()
    db.session.commit()
    url = f"/bookings/{booking.id}"
    assert "/auth/login" in client.get(url).headers["Location"]
    for user, status in ((world.sme_user, 200), (world.lab_user, 200), (world.officer, 200),
                         (stranger, 404)):
        auth.login_as(user)
        assert client.get(url).status_code == status
        auth.logout()
    assert client.get("/bookings/999999").status_code == 302  # anonymous: log in first
    auth.login_as(world.sme_user)
    assert client.get("/bookings/999999").status_code == 404
    html = client.get(url).get_data(as_text=True)
    # Beijing time on the page
    assert local(1, "09:00").astimezone(SHANGHAI).strftime("%Y-%m-%d") in html
    assert "09:00–10:00" in html


ACTIONS = {
    # route: (the persona allowed, a persona refused with 403, form data, the resulting state)
    "approve": ("lab", "sme", {}, BookingStatus.APPROVED),
    "reject": ("lab", "sme", {"reason": "设备检修"}, BookingStatus.REJECTED),
    "cancel": ("sme", "lab", {"reason": "样品未到"}, BookingStatus.CANCELLED),
}


@pytest.mark.parametrize("route", list(ACTIONS))
def test_decisions_and_cancellation_are_for_the_right_persona(client, auth, db, route):
    allowed, refused, data, state = ACTIONS[route]
    world = make_world()
    booking = book(world, local(3, "09:00"), local(3, "10:00"))
    stranger = make_user()
    db.session.commit()
    users = {"lab": world.lab_user, "sme": world.sme_user}
    url = f"/bookings/{booking.id}/{route}"
    assert "/auth/login" in client.post(url, data=data).headers["Location"]
    for user, status in ((stranger, 404), (world.officer, 403), (users[refused], 403)):
        auth.login_as(user)
        assert client.post(url, data=data).status_code == status, user
        auth.logout()
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.REQUESTED
    auth.login_as(users[allowed])
    response = client.post(url, data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/bookings/{booking.id}")
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == state
    assert client.post(url, data=data).status_code == 403  # no longer possible
    assert_ledger_balanced()


def test_reject_needs_a_reason(client, auth, db):
    world = make_world()
    booking = book(world, local(3, "09:00"), local(3, "10:00"))
    db.session.commit()
    auth.login_as(world.lab_user)
    english(client)
    response = client.post(f"/bookings/{booking.id}/reject", data={"reason": "  "})
    assert response.status_code == 400
    assert "Tell the user why" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.REQUESTED


def test_actions_from_the_lab_inbox_return_there(client, auth, db):
    world = make_world()
    booking = book(world, local(3, "09:00"), local(3, "10:00"))
    db.session.commit()
    auth.login_as(world.lab_user)
    response = client.post(f"/bookings/{booking.id}/approve", data={"return_to": "lab"})
    assert response.headers["Location"].endswith("/bookings/lab")
    response = client.post(f"/bookings/{booking.id}/cancel",
                           data={"return_to": "https://evil.example"})
    assert response.status_code == 403


def test_usage_no_show_and_payment_are_recorded_by_the_lab(client, auth, db):
    world = make_world()
    booking = started_booking(db, world)  # 2 h × ¥600, vouchers hold ¥840
    url = f"/bookings/{booking.id}"
    english(client)
    auth.login_as(world.sme_user)
    assert client.post(f"{url}/complete", data={"actual_minutes": "90"}).status_code == 403
    assert client.post(f"{url}/no-show").status_code == 403
    auth.logout()
    auth.login_as(world.lab_user)
    html = client.get(url).get_data(as_text=True)
    assert 'action="/bookings/%d/complete"' % booking.id in html
    for bad, message in (("", "Enter the minutes actually used"), ("abc", "Not a valid integer"),
                         ("0", "Number must be"), ("600", "far more than the 120 minutes")):
        response = client.post(f"{url}/complete", data={"actual_minutes": bad})
        assert response.status_code == 400 and message in response.get_data(as_text=True), bad
    assert client.post(f"{url}/payment").status_code == 403  # nothing owed yet
    response = client.post(f"{url}/complete", data={"actual_minutes": "90", "usage_note": "12 张",
                                                    "invoice_number": "INV-7"})
    assert response.status_code == 302
    db.session.expire_all()
    booking = db.session.get(Booking, booking.id)
    assert booking.status == BookingStatus.COMPLETED
    assert (booking.charged_fen, booking.voucher_paid_fen, booking.self_paid_fen) == (
        90_000, 63_000, 27_000)
    html = client.get(url).get_data(as_text=True)
    assert re.search(r'data-testid="voucher-paid">¥630<', html) and "INV-7" in html
    auth.logout()
    auth.login_as(world.sme_user)
    assert client.post(f"{url}/payment").status_code == 403
    auth.logout()
    auth.login_as(world.lab_user)
    assert client.post(f"{url}/payment", data={"return_to": "lab"}).headers[
        "Location"].endswith("/bookings/lab")
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).self_paid_received_at is not None
    assert client.post(f"{url}/payment").status_code == 403  # once
    assert_ledger_balanced()


def test_no_show_is_charged_and_releases_the_vouchers(client, auth, db):
    world = make_world()
    booking = started_booking(db, world)
    auth.login_as(world.lab_user)
    assert client.post(f"/bookings/{booking.id}/no-show").status_code == 302
    db.session.expire_all()
    booking = db.session.get(Booking, booking.id)
    assert booking.status == BookingStatus.NO_SHOW and booking.self_paid_fen == 120_000
    assert booking.voucher_paid_fen == 0
    assert_ledger_balanced()


def test_early_usage_record_is_refused_by_the_operation(client, auth, db):
    world = make_world()
    booking = book(world, local(3, "09:00"), local(3, "10:00"))
    bookings.approve_booking(booking, world.lab_user, utcnow())
    db.session.commit()
    auth.login_as(world.lab_user)
    english(client)
    response = client.post(f"/bookings/{booking.id}/no-show")
    assert response.status_code == 400
    assert "once the booking has started" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.APPROVED


# ---------------------------------------------------------------------------------------------
# lists
def test_my_bookings_lists_bookings_balances_and_the_feed(client, auth, db):
    world = make_world()
    upcoming = book(world, local(3, "09:00"), local(3, "10:00"))
    past = started_booking(db, world)
    bookings.record_no_show(past, world.lab_user, utcnow())
    db.session.commit()
    assert "/auth/login" in client.get("/bookings/").headers["Location"]
    auth.login_as(world.sme_user)
    english(client)
    html = client.get("/bookings/").get_data(as_text=True)
    assert f'data-booking="{upcoming.id}"' in html and f'data-booking="{past.id}"' in html
    assert html.index(f'data-booking="{upcoming.id}"') < html.index("Past and closed") \
        < html.index(f'data-booking="{past.id}"')
    # ¥10,000 granted, ¥420 held by the upcoming hour (the no-show released its hold)
    assert re.search(rf'data-testid="available-{world.sme.id}-{world.programme.id}">¥9,580<', html)
    assert "Create my calendar address" in html
    stranger = make_user()
    db.session.commit()
    auth.logout()
    auth.login_as(stranger)
    html = client.get("/bookings/").get_data(as_text=True)
    assert f'data-booking="{upcoming.id}"' not in html and "No bookings coming up." in html


def test_lab_inbox_puts_requests_first(client, auth, db):
    world = make_world()
    request = book(world, local(5, "09:00"), local(5, "10:00"))
    confirmed = book(world, local(4, "09:00"), local(4, "10:00"))
    bookings.approve_booking(confirmed, world.lab_user, utcnow())
    db.session.commit()
    auth.login_as(world.lab_user)
    english(client)
    html = client.get("/bookings/lab").get_data(as_text=True)
    assert 'data-testid="request-count">1<' in html
    assert html.index(f'data-booking="{request.id}"') < html.index("Coming up") \
        < html.index(f'data-booking="{confirmed.id}"')
    assert "Lab bookings" in client.get("/dashboard").get_data(as_text=True)
    auth.logout()
    auth.login_as(world.sme_user)
    html = client.get("/bookings/lab").get_data(as_text=True)
    assert "offer no instruments" in html and f'data-booking="{request.id}"' not in html
    assert 'href="/bookings/lab"' not in client.get("/dashboard").get_data(as_text=True)


# ---------------------------------------------------------------------------------------------
# training records
def test_lab_grants_and_revokes_training(client, auth, db):
    world = make_world(requires_training=True)
    stranger = make_user()
    db.session.commit()
    url = f"/instruments/{world.instrument.id}/qualifications"
    auth.login_as(stranger)
    assert client.post(url, data={"email": world.sme_user.email}).status_code == 403
    auth.logout()
    auth.login_as(world.lab_user)
    english(client)
    response = client.post(url, data={"email": "nobody@example.cn"})
    assert response.status_code == 400
    assert "No account uses the e-mail address" in response.get_data(as_text=True)
    assert client.post(url, data={"email": "not an address"}).status_code == 400
    response = client.post(url, data={"email": world.sme_user.email.upper(), "note": "2027-03-01"})
    assert response.status_code == 302
    qualification = db.session.scalar(sa.select(Qualification))
    assert qualification.user_id == world.sme_user.id
    assert world.sme_user.email in client.get("/bookings/lab").get_data(as_text=True)
    revoke = f"/bookings/qualifications/{qualification.id}/revoke"
    auth.logout()
    auth.login_as(stranger)
    assert client.post(revoke).status_code == 404
    auth.logout()
    auth.login_as(world.lab_user)
    assert client.post(revoke).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Qualification)) == 0
    assert client.post("/instruments/999999/qualifications", data={"email": "x@y.cn"}
                       ).status_code == 404


# ---------------------------------------------------------------------------------------------
# calendar feeds
def test_user_feed_lists_the_organisations_bookings(client, auth, db):
    world = make_world()
    requested = book(world, local(3, "09:00"), local(3, "10:30"))
    cancelled = book(world, local(4, "09:00"), local(4, "10:00"))
    bookings.cancel_booking(cancelled, world.sme_user, "", utcnow())
    db.session.commit()
    auth.login_as(world.sme_user)
    assert client.post("/bookings/calendar-link").status_code == 302
    db.session.expire_all()
    token = db.session.get(type(world.sme_user), world.sme_user.id).calendar_token
    assert token and f"/bookings/calendar/{token}.ics" in client.get("/bookings/").get_data(
        as_text=True)
    auth.logout()
    response = client.get(f"/bookings/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    body = response.get_data()
    start = requested.starts_at.strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}".encode() in body
    events = list(Calendar.from_ical(body).walk("VEVENT"))
    assert [e.decoded("dtstart") for e in events] == [requested.starts_at]
    assert events[0].decoded("dtend") == requested.ends_at
    assert world.instrument.title_zh in str(events[0]["summary"])
    assert str(events[0]["status"]) == "TENTATIVE"
    assert client.get("/bookings/calendar/not-a-real-token-at-all.ics").status_code == 404
    assert client.get("/bookings/calendar/x.ics").status_code == 404


def test_instrument_feed_shows_busy_times_without_names(client, db):
    world = make_world()
    booking = book(world, local(2, "14:00"), local(2, "15:00"))
    db.session.commit()
    response = client.get(f"/instruments/{world.instrument.id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    body = response.get_data()
    events = list(Calendar.from_ical(body).walk("VEVENT"))
    assert len(events) == 1
    assert events[0].decoded("dtstart") == booking.starts_at
    assert str(events[0]["summary"]) == "已预约 / Booked"
    text = body.decode()
    assert world.sme.name_zh not in text and world.sme_user.email not in text
    assert f"booking-{booking.id}" not in text
    assert client.get("/instruments/999999/calendar.ics").status_code == 404


# ---------------------------------------------------------------------------------------------
# the instrument's rule fields in the publishing form, the sweep command
def test_publishing_form_saves_the_booking_rules(client, auth, db):
    world = make_world()
    auth.login_as(world.lab_user)
    english(client)
    url = f"/listings/{world.instrument.id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert 'name="booking_step_minutes"' in html and 'name="late_cancellation_bp" type="text" value="50"' in html
    from tests.security.helpers import instrument_form

    data = {**instrument_form(world.lab.id), "booking_step_minutes": "15",
            "booking_horizon_days": "30", "lead_time_hours": "2", "free_cancellation_hours": "48",
            "late_cancellation_bp": "12.5", "no_show_bp": "80"}
    data.pop("organization_id")
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    instrument = db.session.get(Instrument, world.instrument.id)
    assert (instrument.booking_step_minutes, instrument.booking_horizon_days,
            instrument.lead_time_hours, instrument.free_cancellation_hours,
            instrument.late_cancellation_bp, instrument.no_show_bp) == (15, 30, 2, 48, 1250, 8000)
    assert 'value="12.5"' in client.get(url).get_data(as_text=True)
    for name, bad in (("late_cancellation_bp", "120"), ("no_show_bp", "12.345"),
                      ("no_show_bp", "lots"), ("booking_step_minutes", "1"),
                      ("lead_time_hours", "-1")):
        response = client.post(url, data={**data, name: bad})
        assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True)
    # left empty: the defaults
    empty = {**data, **dict.fromkeys(("booking_step_minutes", "booking_horizon_days",
                                      "lead_time_hours", "free_cancellation_hours",
                                      "late_cancellation_bp", "no_show_bp"), "")}
    assert client.post(url, data=empty).status_code == 302
    db.session.expire_all()
    instrument = db.session.get(Instrument, world.instrument.id)
    assert (instrument.booking_step_minutes, instrument.booking_horizon_days,
            instrument.lead_time_hours, instrument.free_cancellation_hours,
            instrument.late_cancellation_bp, instrument.no_show_bp) == (30, 90, 24, 24, 5000, 10000)


def test_sweep_command_expires_requests_and_sends_reminders(app, db):
    world = make_world()
    late = started_booking(db, world, approve=False)  # still a request, and it has started
    start = slot_soon()
    soon = book(world, start, start + timedelta(hours=1))
    bookings.approve_booking(soon, world.lab_user, utcnow())
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bookings", "sweep"])
    assert result.exit_code == 0, result.output
    assert "expired 1 unanswered requests, sent 1 reminders" in result.output
    db.session.expire_all()
    assert db.session.get(Booking, late.id).status == BookingStatus.REJECTED
    assert db.session.get(Booking, soon.id).reminded_at is not None
    assert "expired 0 unanswered requests, sent 0 reminders" in runner.invoke(
        args=["bookings", "sweep"]).output
    assert_ledger_balanced()


def test_lab_bookings_menu_link_only_for_organisations_with_an_instrument(client, auth, db):
    from tests.marketplace.spaces.helpers import make_space

    world = make_world()
    landlord = make_user()
    make_space(make_organization(landlord, kind=OrganizationKind.PARK))  # a listing, not an instrument
    db.session.commit()
    link = 'href="/bookings/lab"'
    for user, expected in ((world.lab_user, True), (world.sme_user, False), (landlord, False)):
        auth.login_as(user)
        assert (link in client.get("/bookings/").get_data(as_text=True)) is expected, user.email
        auth.logout()
