"""An instrument's booking rules as pure functions: opening hours, the slot grid, lead time,
horizon, length, price and cancellation charges. No database here; times in are UTC-aware,
opening hours are Asia/Shanghai wall-clock times (China has no daylight saving time, but nothing
here assumes it: every local time is converted through the zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from marketplace.errors import DomainError
from marketplace.money import format_fen

SHANGHAI = ZoneInfo("Asia/Shanghai")


class SlotRuleError(DomainError):
    """The requested time breaks one of the instrument's rules; the message says which."""

    code = "slot_refused"


def local(dt: datetime) -> datetime:
    return dt.astimezone(SHANGHAI)


def at_local(day: date, clock: str) -> datetime:
    """A wall-clock time on a local day, as UTC ("24:00" is the end of the day)."""
    if clock == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC)
    hours, minutes = (int(x) for x in clock.split(":"))
    return datetime.combine(day, time(hours, minutes), SHANGHAI).astimezone(UTC)


def opening_spans(instrument, day: date) -> list[tuple[datetime, datetime]]:
    """The opening hours of a local day as UTC intervals (none on a closed date)."""
    if day.isoformat() in set(instrument.closed_dates or []):
        return []
    spans = (instrument.opening_hours or {}).get(str(day.weekday()), [])
    return [(at_local(day, start), at_local(day, end)) for start, end in spans]


def price_fen(rate_fen: int, minutes: int) -> int:
    """The hourly rate for a number of minutes, rounded half up to the fen."""
    return (rate_fen * minutes + 30) // 60


def charge_share(amount_fen: int, share_bp: int) -> int:
    return amount_fen * share_bp // 10_000


@dataclass(frozen=True)
class Window:
    """When bookings may start: not before ``earliest`` (lead time), not after ``latest``."""

    earliest: datetime
    latest: datetime


def booking_window(instrument, now: datetime) -> Window:
    return Window(earliest=now + timedelta(hours=instrument.lead_time_hours),
                  latest=now + timedelta(days=instrument.booking_horizon_days))


def check_slot(instrument, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """Raise ``SlotRuleError`` saying exactly which rule the slot breaks (overlap aside)."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("booking times must be timezone-aware")
    if ends_at <= starts_at:
        raise SlotRuleError(_l("The booking must end after it starts."), "ends_at")
    minutes = (ends_at - starts_at).total_seconds() / 60
    if minutes < instrument.min_booking_minutes:
        raise SlotRuleError(_l("This instrument is booked for at least %(n)d minutes.",
                               n=instrument.min_booking_minutes), "ends_at")
    if minutes > instrument.max_booking_minutes:
        raise SlotRuleError(_l("This instrument is booked for at most %(n)d minutes at a time.",
                               n=instrument.max_booking_minutes), "ends_at")
    step = instrument.booking_step_minutes
    for value, name in ((starts_at, "starts_at"), (ends_at, "ends_at")):
        moment = local(value)
        if moment.second or moment.microsecond or (moment.hour * 60 + moment.minute) % step:
            raise SlotRuleError(_l("Bookings start and end on the %(step)d-minute grid "
                                   "(e.g. 09:00, 09:%(next)02d).", step=step, next=step % 60), name)
    window = booking_window(instrument, now)
    if starts_at < now:
        raise SlotRuleError(_l("That time has already passed."), "starts_at")
    if starts_at < window.earliest:
        raise SlotRuleError(_l("Bookings must be made at least %(n)d hours in advance.",
                               n=instrument.lead_time_hours), "starts_at")
    if starts_at > window.latest:
        raise SlotRuleError(_l("Bookings open at most %(n)d days ahead.",
                               n=instrument.booking_horizon_days), "starts_at")
    day = local(starts_at).date()
    spans = opening_spans(instrument, day)
    if not spans:  # a closed date, or a weekday without opening hours
        raise SlotRuleError(_l("The lab is closed on %(day)s.", day=day.isoformat()), "starts_at")
    if not any(start <= starts_at and ends_at <= end for start, end in spans):
        raise SlotRuleError(_l("The booking must lie within one opening period of the lab "
                               "(see the opening hours)."), "starts_at")


def cancellation_fee(booking, instrument, now: datetime) -> int:
    """Free until the instrument's free-cancellation limit before the start; after it, the
    configured share of the quoted price."""
    if now <= booking.starts_at - timedelta(hours=instrument.free_cancellation_hours):
        return 0
    return charge_share(booking.price_fen, instrument.late_cancellation_bp)


def describe_cancellation(instrument) -> str:
    share = instrument.late_cancellation_bp / 100
    return str(_l("Free cancellation until %(hours)d hours before the start; later, %(share)s %% "
                  "of the price is charged.", hours=instrument.free_cancellation_hours,
                  share=f"{share:g}"))


def yuan(fen: int) -> str:
    return format_fen(fen)
