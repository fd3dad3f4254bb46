"""The week grid and the .ics builder: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from icalendar import Calendar

from marketplace.bookings import calendar
from marketplace.bookings.rules import at_local

# 2027-03-01 is a Monday
MONDAY = date(2027, 3, 1)


def instrument(**overrides):
    values = {"opening_hours": {"0": [["08:00", "10:00"]], "1": [["09:00", "10:00"]],
                                "2": [["08:15", "09:30"]]},
              "closed_dates": [], "booking_step_minutes": 30, "lead_time_hours": 0,
              "booking_horizon_days": 90}
    values.update(overrides)
    return SimpleNamespace(**values)


def states(week):
    """{(day, clock): state} for compact assertions."""
    return {(cell.day, clock): cell.state for clock, cells in week.rows for cell in cells}


def test_rows_follow_the_grid_within_the_opening_hours_of_any_day():
    week = calendar.build_week(instrument(), MONDAY, at_local(MONDAY, "00:00"), [])
    assert [clock for clock, _ in week.rows] == ["08:00", "08:30", "09:00", "09:30"]
    assert [d.day for d in week.days] == [MONDAY + timedelta(days=i) for i in range(7)]
    grid = states(week)
    assert grid[(MONDAY, "08:00")] == calendar.FREE
    assert grid[(MONDAY, "09:30")] == calendar.FREE
    tuesday, wednesday, thursday = (MONDAY + timedelta(days=i) for i in (1, 2, 3))
    assert grid[(tuesday, "08:30")] == calendar.CLOSED  # opens at 09:00
    assert grid[(tuesday, "09:00")] == calendar.FREE
    # 08:15–09:30: the first grid slot is 08:30; 09:30 would end after closing
    assert grid[(wednesday, "08:00")] == calendar.CLOSED
    assert grid[(wednesday, "08:30")] == calendar.FREE
    assert grid[(wednesday, "09:00")] == calendar.FREE
    assert grid[(wednesday, "09:30")] == calendar.CLOSED
    assert all(grid[(thursday, clock)] == calendar.CLOSED for clock, _ in week.rows)


def test_cells_are_in_beijing_time_and_one_step_long():
    week = calendar.build_week(instrument(), MONDAY, at_local(MONDAY, "00:00"), [])
    clock, cells = week.rows[0]
    assert clock == "08:00"
    assert cells[0].starts_at == datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert cells[0].ends_at - cells[0].starts_at == timedelta(minutes=30)


def test_taken_intervals_mark_every_cell_they_touch():
    taken = [(at_local(MONDAY, "08:15"), at_local(MONDAY, "09:00"))]
    grid = states(calendar.build_week(instrument(), MONDAY, at_local(MONDAY, "00:00"), taken))
    assert grid[(MONDAY, "08:00")] == calendar.TAKEN
    assert grid[(MONDAY, "08:30")] == calendar.TAKEN
    assert grid[(MONDAY, "09:00")] == calendar.FREE  # back to back is free


def test_closed_dates_close_the_whole_day():
    week = calendar.build_week(instrument(closed_dates=["2027-03-01"]), MONDAY,
                               at_local(MONDAY, "00:00"), [])
    assert week.days[0].is_closed_date and not week.days[1].is_closed_date
    grid = states(week)
    assert {grid[(MONDAY, clock)] for clock, _ in week.rows} == {calendar.CLOSED}
    assert grid[(MONDAY + timedelta(days=1), "09:00")] == calendar.FREE


def test_lead_time_past_and_horizon():
    now = at_local(MONDAY, "08:10")
    grid = states(calendar.build_week(instrument(lead_time_hours=1), MONDAY, now, []))
    assert grid[(MONDAY, "08:00")] == calendar.TOO_SOON  # already started
    assert grid[(MONDAY, "09:00")] == calendar.TOO_SOON  # within the hour of lead time
    assert grid[(MONDAY, "09:30")] == calendar.FREE
    grid = states(calendar.build_week(instrument(booking_horizon_days=1), MONDAY, now, []))
    assert grid[(MONDAY, "09:30")] == calendar.FREE
    assert grid[(MONDAY + timedelta(days=1), "09:00")] == calendar.BEYOND  # 24 h 50 min ahead


def test_a_week_without_opening_hours_is_empty():
    week = calendar.build_week(instrument(opening_hours={}), MONDAY, at_local(MONDAY, "00:00"), [])
    assert week.is_empty


def test_week_parameter_and_navigation():
    today = date(2027, 3, 4)
    assert calendar.parse_week("2027-03-01", today) == MONDAY
    for garbage in (None, "", "2027-13-01", "next week", "0001-01-01", "9999-12-31"):
        assert calendar.parse_week(garbage, today) == today
    week = calendar.build_week(instrument(), MONDAY, at_local(MONDAY, "00:00"), [])
    assert (week.previous_start, week.next_start, week.end) == (
        date(2027, 2, 22), date(2027, 3, 8), date(2027, 3, 7))
    start, end = calendar.week_bounds(MONDAY)
    assert start == datetime(2027, 2, 28, 16, tzinfo=UTC) and end - start == timedelta(days=7)


def test_ics_feed_has_utc_events():
    event = calendar.FeedEvent(uid="x@test", starts_at=at_local(MONDAY, "09:00"),
                               ends_at=at_local(MONDAY, "10:30"), summary="已预约 / Booked",
                               stamp=datetime(2027, 2, 1, tzinfo=UTC), tentative=True)
    body = calendar.ics_feed("测试", [event])
    assert b"DTSTART:20270301T010000Z" in body and b"DTEND:20270301T023000Z" in body
    parsed = Calendar.from_ical(body)
    events = list(parsed.walk("VEVENT"))
    assert len(events) == 1
    assert str(events[0]["summary"]) == "已预约 / Booked"
    assert str(events[0]["status"]) == "TENTATIVE"
    assert events[0].decoded("dtstart") == datetime(2027, 3, 1, 1, tzinfo=UTC)
