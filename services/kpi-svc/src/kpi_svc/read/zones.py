"""Pure calendar arithmetic of the reads: buckets of an interval in an IANA time zone, in UTC.

A bucket boundary is the first instant of a local hour, day, ISO week (Monday) or month. Days are
found from local dates, so a DST day is 23 or 25 hours long, and a midnight that falls in a DST gap
starts its day at the transition. Every boundary must also be a UTC quarter hour, the finest
stored bucket: true of every zone in use today (offsets of whole hours, 30 and 45 minutes).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from csq_common.errors import InvalidInput
from kpi_svc.aggregates.buckets import Q15, floor_to

UTC = timezone.utc
HOUR = "hour"
DAY = "day"
WEEK = "week"
MONTH = "month"
INTERVALS = (HOUR, DAY, WEEK, MONTH)
_QUARTER = timedelta(minutes=15)
_ONE_HOUR = timedelta(hours=1)


def zone(name: str | None) -> tzinfo:
    """The IANA zone ``name`` (``UTC`` when not given); 422 naming ``tz`` if there is none."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput("tz", "must be an IANA time zone name such as Asia/Shanghai or Asia/Kolkata") from None


def check_interval(interval: str) -> str:
    if interval not in INTERVALS:
        raise InvalidInput("interval", f"must be one of {', '.join(INTERVALS)}")
    return interval


def day_start(day: date, tz: tzinfo) -> datetime:
    """The first instant (UTC) of the local ``day``: its midnight, or the end of a DST gap that
    swallows midnight (a gap time with fold=0 maps to the UTC instant after the gap)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def is_boundary(moment: datetime, interval: str, tz: tzinfo) -> bool:
    """Does ``moment`` start a bucket of ``interval`` in ``tz``?"""
    local = moment.astimezone(tz)
    if interval == HOUR:
        return local.minute == 0 and local.second == 0 and local.microsecond == 0
    if interval == WEEK and local.weekday() != 0:
        return False
    if interval == MONTH and local.day != 1:
        return False
    return day_start(local.date(), tz) == moment.astimezone(UTC)


def _next_hour(moment: datetime, tz: tzinfo) -> datetime:
    """The next local-hour boundary after ``moment`` (one UTC hour later unless the offset changes
    by part of an hour in between: then the first quarter hour where the local minute is 0)."""
    candidate = moment + _ONE_HOUR
    if is_boundary(candidate, HOUR, tz):
        return candidate
    for quarters in range(1, 9):
        candidate = moment + quarters * _QUARTER
        if is_boundary(candidate, HOUR, tz):
            return candidate
    raise InvalidInput("tz", f"has no local hour boundary on a quarter hour after {moment.isoformat()}")


def _next_day(moment: datetime, interval: str, tz: tzinfo) -> datetime:
    local = moment.astimezone(tz).date()
    if interval == DAY:
        following = local + timedelta(days=1)
    elif interval == WEEK:
        following = local + timedelta(days=7 - local.weekday())
    else:
        following = date(local.year + 1, 1, 1) if local.month == 12 else date(local.year, local.month + 1, 1)
    return day_start(following, tz)


def boundaries(start: datetime, end: datetime, interval: str, tz: tzinfo, *, max_buckets: int) -> list[datetime]:
    """``[b0 = start, b1, …, bn = end]`` in UTC: the buckets of ``interval`` in ``tz`` that tile
    ``[start, end)``. 422 naming ``from``/``to`` when one is not a bucket boundary, ``to`` when the
    window holds more than ``max_buckets``, ``tz`` when a boundary is not a UTC quarter hour."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    for name, moment in (("from", start), ("to", end)):
        try:
            on_boundary = is_boundary(moment, interval, tz)
        except (OverflowError, ValueError):  # the local time falls outside years 1-9999
            raise InvalidInput(name, "is out of range") from None
        if not on_boundary:
            raise InvalidInput(name, f"must start a{'n' if interval == HOUR else ''} {interval} in the time zone {tz}")
    result = [start]
    current = start
    while current < end:
        if len(result) > max_buckets:
            raise InvalidInput("to", f"the window may hold at most {max_buckets} buckets of one {interval}")
        try:
            current = _next_hour(current, tz) if interval == HOUR else _next_day(current, interval, tz)
        except (OverflowError, ValueError):
            raise InvalidInput("to", "is out of range") from None
        result.append(current)
    if current != end:  # a boundary on the wall clock that a DST change skipped: not reachable
        raise InvalidInput("to", f"must start a bucket of one {interval} in the time zone {tz}")
    for moment in result:
        if floor_to(moment, Q15) != moment:
            raise InvalidInput("tz", f"its offset at {moment.isoformat()} is not a whole number of quarter hours")
    return result


def local_start(moment: datetime, tz: tzinfo) -> datetime:
    """``moment`` on the zone's wall clock, with the zone's offset (RFC 3339 output)."""
    return moment.astimezone(tz)
