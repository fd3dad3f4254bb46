"""Calendars of an instrument's time: the week grid shown on its page and the .ics feeds.

Pure functions: they take the instrument's rules, the busy intervals and "now", and touch no
database. The grid is built in Asia/Shanghai wall-clock time through ``rules`` (every local time
goes through the zone); feeds carry UTC times. This is the only module that imports icalendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event

from marketplace.bookings import rules

FREE, TAKEN, CLOSED, TOO_SOON, BEYOND = "free", "taken", "closed", "too_soon", "beyond"
DAYS = 7
# the ?week= values accepted; anything else shows the current week
EARLIEST_WEEK, LATEST_WEEK = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class Cell:
    day: date
    clock: str  # local start, "HH:MM"
    starts_at: datetime  # UTC
    ends_at: datetime
    state: str  # FREE | TAKEN | CLOSED | TOO_SOON | BEYOND

    @property
    def is_free(self) -> bool:
        return self.state == FREE

    @property
    def local_start(self) -> str:
        """``YYYY-MM-DDTHH:MM`` (local): the grid cell's data-start attribute."""
        return f"{self.day.isoformat()}T{self.clock}"


@dataclass(frozen=True)
class Day:
    day: date
    is_closed_date: bool
    is_today: bool


@dataclass
class Week:
    start: date
    days: list[Day]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)  # (clock, 7 cells)
    step_minutes: int = 30

    @property
    def previous_start(self) -> date:
        return self.start - timedelta(days=DAYS)

    @property
    def next_start(self) -> date:
        return self.start + timedelta(days=DAYS)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=DAYS - 1)

    @property
    def is_empty(self) -> bool:
        return not self.rows


def parse_week(value: str | None, today: date) -> date:
    """The first day of the week to show: ``YYYY-MM-DD`` from the query string, else today."""
    try:
        start = date.fromisoformat((value or "").strip())
    except ValueError:
        return today
    return start if EARLIEST_WEEK <= start <= LATEST_WEEK else today


def week_bounds(start: date) -> tuple[datetime, datetime]:
    """The UTC interval covering the seven local days from ``start``."""
    return rules.at_local(start, "00:00"), rules.at_local(start + timedelta(days=DAYS), "00:00")


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(clock: str) -> int:
    hours, minutes = (int(x) for x in clock.split(":"))
    return hours * 60 + minutes


def _slot_minutes(spans: Sequence[Sequence[str]], step: int) -> set[int]:
    """Local start minutes of the grid slots that fit wholly inside one opening span."""
    found = set()
    for start, end in spans:
        first, last = _minutes(start), _minutes(end)
        minute = -(-first // step) * step  # the first grid time at or after the opening
        while minute + step <= last:
            found.add(minute)
            minute += step
    return found


def build_week(instrument, start: date, now: datetime,
               taken: Iterable[tuple[datetime, datetime]]) -> Week:
    """Seven days from ``start``; one row per grid time that is open on any of them.

    A cell is CLOSED (closed date, or outside that day's opening hours), TAKEN (overlaps a busy
    interval), TOO_SOON (starts before the lead time allows, including the past), BEYOND (after
    the booking horizon) or FREE — checked in that order.
    """
    step = instrument.booking_step_minutes
    busy = sorted(taken)
    window = rules.booking_window(instrument, now)
    today = rules.local(now).date()
    closed = set(instrument.closed_dates or [])
    hours = instrument.opening_hours or {}
    days = [start + timedelta(days=i) for i in range(DAYS)]
    open_minutes = {d: (set() if d.isoformat() in closed
                        else _slot_minutes(hours.get(str(d.weekday()), []), step)) for d in days}
    # rows come from the weekly hours (closed dates show as closed rows, not missing ones)
    row_minutes = sorted(set().union(*(_slot_minutes(hours.get(str(d.weekday()), []), step)
                                       for d in days)))
    week = Week(start=start, step_minutes=step,
                days=[Day(d, d.isoformat() in closed, d == today) for d in days])
    for minute in row_minutes:
        clock = _clock(minute)
        cells = []
        for d in days:
            starts_at = rules.at_local(d, clock)
            ends_at = starts_at + timedelta(minutes=step)
            if minute not in open_minutes[d]:
                state = CLOSED
            elif any(b_start < ends_at and starts_at < b_end for b_start, b_end in busy):
                state = TAKEN
            elif starts_at < window.earliest:  # the lead time; never before now
                state = TOO_SOON
            elif starts_at > window.latest:
                state = BEYOND
            else:
                state = FREE
            cells.append(Cell(d, clock, starts_at, ends_at, state))
        week.rows.append((clock, cells))
    return week


# ---------------------------------------------------------------------------------------------
# .ics feeds
@dataclass(frozen=True)
class FeedEvent:
    uid: str
    starts_at: datetime  # UTC-aware
    ends_at: datetime
    summary: str
    stamp: datetime
    description: str = ""
    location: str = ""
    url: str = ""
    tentative: bool = False


def ics_feed(name: str, events: Iterable[FeedEvent]) -> bytes:
    """An iCalendar (RFC 5545) document of the events, times in UTC (``…Z``)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Changzhi Innovation Exchange//bookings//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.stamp.astimezone(UTC))
        event.add("dtstart", item.starts_at.astimezone(UTC))
        event.add("dtend", item.ends_at.astimezone(UTC))
        event.add("summary", item.summary)
        event.add("status", "TENTATIVE" if item.tentative else "CONFIRMED")
        event.add("transp", "OPAQUE")
        if item.description:
            event.add("description", item.description)
        if item.location:
            event.add("location", item.location)
        if item.url:
            event.add("url", item.url)
        calendar.add_component(event)
    return calendar.to_ical()
