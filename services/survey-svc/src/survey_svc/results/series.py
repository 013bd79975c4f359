"""Calendar buckets (day, week from Monday, month) in an IANA time zone, computed in Python.

Boundaries are local midnights turned into UTC instants with ``zoneinfo``, so they follow DST
changes (a New York day is 23 or 25 hours around them) and 30/45-minute offsets (Asia/Kolkata,
Australia/Adelaide) exactly, and the same code serves SQLite and PostgreSQL: the database only
filters by the UTC window, answers are bucketed here. The first and last bucket may extend
beyond the window; only answers inside [from, to) are counted in them.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from csq_common.errors import InvalidInput
from survey_svc.results.stats import TypeTally

UTC = timezone.utc


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``, in UTC (a midnight skipped by DST maps to the
    instant the day actually starts)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _floor(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())  # Monday
    if interval == "month":
        return day.replace(day=1)
    return day


def _next(day: date, interval: str) -> date:
    if interval == "week":
        return day + timedelta(days=7)
    if interval == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=1)


def _outside(interval: str, zone: ZoneInfo) -> str:
    return f"its {interval} in {zone.key} reaches outside the years 1-9999"


def boundaries(start: datetime, end: datetime, zone: ZoneInfo, interval: str) -> list[datetime]:
    """UTC instants b0 ≤ start < b1 < … < bn with bn ≥ end: bucket i is [b_i, b_i+1).

    A bucket edge outside the years 1-9999 (a week or month around ``9999-12-31``, or a day of
    ``0001-01-01`` in a zone west of UTC) cannot be a datetime: InvalidInput naming the bound."""
    try:
        day = _floor(start.astimezone(zone).date(), interval)
        edges = [_local_midnight(day, zone)]
        if edges[0] > start:  # a skipped midnight can start the local day after ``start``
            day = _floor(day - timedelta(days=1), interval)
            edges = [_local_midnight(day, zone)]
    except (OverflowError, ValueError):
        raise InvalidInput("from", _outside(interval, zone)) from None
    try:
        while edges[-1] < end:
            day = _next(day, interval)
            edges.append(_local_midnight(day, zone))
    except (OverflowError, ValueError):
        raise InvalidInput("to", _outside(interval, zone)) from None
    return edges


class Series:
    """Responses and standard figures per bucket."""

    def __init__(self, start: datetime, end: datetime, zone: ZoneInfo, interval: str) -> None:
        self.zone = zone
        self.edges = boundaries(start, end, zone, interval)
        self.responses = [0] * (len(self.edges) - 1)
        self.tallies = [TypeTally() for _ in self.responses]

    def _index(self, moment: datetime) -> int | None:
        index = bisect_right(self.edges, moment) - 1
        return index if 0 <= index < len(self.responses) else None

    def add_response(self, moment: datetime) -> None:
        index = self._index(moment)
        if index is not None:
            self.responses[index] += 1

    def add_answer(self, moment: datetime, question_type: str, value: int) -> None:
        index = self._index(moment)
        if index is not None:
            self.tallies[index].add(question_type, value)

    def items(self) -> list[dict]:
        out = []
        for index, count in enumerate(self.responses):
            figures = self.tallies[index].figures()
            out.append(
                {
                    "start": self.edges[index].astimezone(self.zone).isoformat(),
                    "end": self.edges[index + 1].astimezone(self.zone).isoformat(),
                    "responses": count,
                    "csat_pct": figures["csat_pct"],
                    "nps": figures["nps"],
                    "ces_avg": figures["ces_avg"],
                }
            )
        return out
