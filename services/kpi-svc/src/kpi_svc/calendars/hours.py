"""Time in business hours: a calendar's opening intervals and the clock that counts inside them.

A second counts when the wall clock of the calendar's zone reads a time inside an opening interval
of a working date: the weekday's intervals, none on a holiday, Monday's on an extra working day
(China's make-up days). Across a DST change the instants are walked in pieces of constant UTC
offset, inside which wall time and UTC move together, so a skipped hour is never counted and a
repeated hour counts twice, as a wall clock on the office's wall would show.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kpi_svc.calendars.country import country_days

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
#: Offsets are sampled this far apart to find a zone's transitions (no zone changes twice within it).
_OFFSET_PROBE = timedelta(hours=12)
#: How far ahead ``add_business_seconds`` looks for enough opening time before giving up.
HORIZON = timedelta(days=3 * 366)

Interval = tuple[timedelta, timedelta]  # opening, closing: time since local midnight


class CalendarRuleError(ValueError):
    """A calendar that breaks a rule; ``field`` names the culprit (``hours.mon[1]``, ``tz`` …)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_zone(name: str, field: str = "tz") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise CalendarRuleError(field, f"{name!r} is not an IANA time zone") from None


def parse_intervals(texts: Sequence[str], field: str) -> tuple[Interval, ...]:
    """``["09:00-12:00", "13:30-18:00"]`` → sorted intervals; ``24:00`` is allowed as a closing time."""
    intervals = []
    for index, text in enumerate(texts):
        match = _INTERVAL.match(text)
        where = f"{field}[{index}]"
        if match is None:
            raise CalendarRuleError(where, f"{text!r} is not an interval like 09:00-12:00")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise CalendarRuleError(where, f"{text!r} holds a time that does not exist")
        opening, closing = timedelta(hours=h1, minutes=m1), timedelta(hours=h2, minutes=m2)
        if closing <= opening:
            raise CalendarRuleError(where, f"{text!r} must close after it opens")
        intervals.append((opening, closing, where))
    intervals.sort()
    for (_, closing, _), (opening, _, where) in zip(intervals, intervals[1:]):
        if opening < closing:
            raise CalendarRuleError(where, "overlaps another interval of the same day")
    return tuple((opening, closing) for opening, closing, _ in intervals)


def parse_week(hours: dict[str, Sequence[str]], field: str = "hours") -> tuple[tuple[Interval, ...], ...]:
    """The seven days' intervals, Monday first; a day left out is closed."""
    unknown = sorted(set(hours) - set(WEEKDAYS))
    if unknown:
        raise CalendarRuleError(f"{field}.{unknown[0]}", f"is not a weekday (use {', '.join(WEEKDAYS)})")
    return tuple(parse_intervals(hours.get(day, ()), f"{field}.{day}") for day in WEEKDAYS)


@dataclass(frozen=True)
class Calendar:
    """A business calendar as the clock uses it. Explicit holidays and extra working days win over
    the ``country``'s (a date in both explicit lists is refused when the calendar is created)."""

    tz: ZoneInfo
    week: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    country: str | None = None
    _days: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(
        cls, *, tz: str, hours: dict[str, Sequence[str]], holidays: Sequence[date] = (),
        extra_working_days: Sequence[date] = (), country: str | None = None,
    ) -> "Calendar":
        both = sorted(set(holidays) & set(extra_working_days))
        if both:
            raise CalendarRuleError("extra_working_days", f"{both[0].isoformat()} is also listed as a holiday")
        week = parse_week(hours)
        if not any(week):
            raise CalendarRuleError("hours", "the calendar never opens: give at least one weekday an interval")
        return cls(parse_zone(tz), week, frozenset(holidays), frozenset(extra_working_days), country)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The opening intervals of local date ``day``."""
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = self._intervals_on(day)
        return found

    def _intervals_on(self, day: date) -> tuple[Interval, ...]:
        if day in self.extra_working_days:
            return self.week[0]
        if day in self.holidays:
            return ()
        if self.country:
            days_off, working = country_days(self.country, day.year)
            if day in working:
                return self.week[0]
            if day in days_off:
                return ()
        return self.week[day.weekday()]


def _offset(tz: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(tz).utcoffset()


def _constant_offset_pieces(tz: ZoneInfo, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """``[start, end)`` cut into pieces ``(from, to, offset)`` over which the zone's UTC offset is
    constant (each transition found to the microsecond by bisection)."""
    current, offset = start, _offset(tz, start)
    while current < end:
        probe = min(current + _OFFSET_PROBE, end)
        if _offset(tz, probe) == offset:
            yield current, probe, offset
            current = probe
            continue
        low, high = current, probe  # offset(low) == offset != offset(high): the change is in (low, high]
        while high - low > _MICROSECOND:
            middle = low + (high - low) / 2
            if _offset(tz, middle) == offset:
                low = middle
            else:
                high = middle
        yield current, min(high, end), offset
        current, offset = high, _offset(tz, high)


def _naive_local(instant: datetime, offset: timedelta) -> datetime:
    return instant.astimezone(timezone.utc).replace(tzinfo=None) + offset


def _open_chunks(calendar: Calendar, low: datetime, high: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The opening time within naive local ``[low, high)``, in order, as naive local chunks."""
    day = low.date()
    while True:
        midnight = datetime.combine(day, time())
        if midnight >= high:
            return
        for opening, closing in calendar.intervals_on(day):
            chunk_start, chunk_end = max(low, midnight + opening), min(high, midnight + closing)
            if chunk_end > chunk_start:
                yield chunk_start, chunk_end
        day += _DAY


def business_time(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """The time of ``[start, end)`` (aware instants) inside the calendar's opening hours, exact to
    the microsecond; zero when ``end`` is not after ``start``."""
    total = timedelta()
    for piece_start, piece_end, offset in _constant_offset_pieces(calendar.tz, start, end):
        low, high = _naive_local(piece_start, offset), _naive_local(piece_end, offset)
        for chunk_start, chunk_end in _open_chunks(calendar, low, high):
            total += chunk_end - chunk_start
    return total


def business_seconds(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Seconds of ``[start, end)`` (aware instants) inside the calendar's opening hours; 0 when
    ``end`` is not after ``start``."""
    return business_time(calendar, start, end).total_seconds()


def add_business_seconds(calendar: Calendar, start: datetime, seconds: float) -> datetime | None:
    """The first instant at which ``seconds`` business seconds have passed since ``start`` (UTC);
    None when the calendar does not open long enough within ``HORIZON``."""
    remaining = timedelta(seconds=seconds)
    start = start.astimezone(timezone.utc)
    if remaining <= timedelta():
        return start
    for piece_start, piece_end, offset in _constant_offset_pieces(calendar.tz, start, start + HORIZON):
        low, high = _naive_local(piece_start, offset), _naive_local(piece_end, offset)
        for chunk_start, chunk_end in _open_chunks(calendar, low, high):
            if chunk_end - chunk_start >= remaining:
                return (chunk_start + remaining - offset).replace(tzinfo=timezone.utc)
            remaining -= chunk_end - chunk_start
    return None
