"""The report's window and its series buckets: a week (Monday first) or a calendar month in an
IANA time zone, as UTC instants.

Bucket edges are local midnights turned into UTC with ``zoneinfo``, so they follow DST changes
(a week with the spring change is 167 hours long) and offsets such as +05:45 exactly; the
database only filters by the UTC window and reviews are bucketed here, the same on both backends.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from csq_common.errors import InvalidInput

UTC = timezone.utc
#: The longest window a report covers (a year with room for a comparison month).
MAX_WINDOW_DAYS = 400


@dataclass(frozen=True)
class Window:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC


def report_window(start: datetime, end: datetime) -> Window:
    """``[start, end)`` in UTC, or InvalidInput naming the bound that is wrong."""
    for field, moment in (("from", start), ("to", end)):
        if not 2000 <= moment.year <= 2100:
            raise InvalidInput(field, "must lie between the years 2000 and 2100")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise InvalidInput("to", "must be after from")
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise InvalidInput("to", f"the window may span at most {MAX_WINDOW_DAYS} days")
    return Window(start, end)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, LookupError):
        raise InvalidInput("tz", f"{name!r} is not an IANA time zone such as Asia/Shanghai or Asia/Kathmandu") from None


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz``, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _floor(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(day: date, interval: str) -> date:
    if interval == "week":
        return day + timedelta(days=7)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True)
class Buckets:
    """Local bucket starts and their UTC edges: bucket i is ``[edges[i], edges[i + 1])``.
    The first and last bucket may reach beyond the window; only reviews inside it count."""

    days: list[date]
    edges: list[datetime]

    def index(self, moment: datetime) -> int | None:
        found = bisect_right(self.edges, moment) - 1
        return found if 0 <= found < len(self.days) else None


def buckets(window: Window, tz: ZoneInfo, interval: str) -> Buckets:
    day = _floor(window.start.astimezone(tz).date(), interval)
    if local_midnight(day, tz) > window.start:  # a midnight skipped by DST can start the day late
        day = _floor(day - timedelta(days=1), interval)
    days, edges = [day], [local_midnight(day, tz)]
    while True:
        day = _next(day, interval)
        edges.append(local_midnight(day, tz))
        if edges[-1] >= window.end:
            return Buckets(days, edges)
        days.append(day)
