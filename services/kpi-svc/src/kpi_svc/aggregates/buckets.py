"""Pure time-bucket arithmetic: UTC bucket starts per resolution and the tiling of a window.

Every observation is counted once at each resolution (15 minutes, hour, day, UTC calendar month).
A window ``[start, end)`` aligned to 15 minutes is read from the coarsest buckets that tile it
exactly: whole months from month rows, the remaining whole days from day rows, then whole hours
from hour rows, the rest from q15 rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta, timezone

Q15 = "q15"
HOUR = "hour"
DAY = "day"
MONTH = "month"

#: Finest first. Adding a coarser level means adding it here, in ``floor_to``, ``next_start`` and
#: in ``TILING_LEVELS``; the writer and the tiling follow.
RESOLUTIONS: tuple[str, ...] = (Q15, HOUR, DAY, MONTH)
TILING_LEVELS: tuple[str, ...] = (MONTH, DAY, HOUR, Q15)  # coarsest first
FINEST = Q15
#: Widths of the fixed-width resolutions (a month has none: see ``next_start``).
STEP = {Q15: timedelta(minutes=15), HOUR: timedelta(hours=1), DAY: timedelta(days=1)}


def _utc(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        raise ValueError("naive datetime: bucket arithmetic needs an offset")
    return ts.astimezone(timezone.utc)


def floor_to(ts: datetime, resolution: str) -> datetime:
    """The start of the UTC bucket of ``resolution`` holding ``ts``."""
    ts = _utc(ts)
    if resolution == Q15:
        return ts.replace(minute=ts.minute - ts.minute % 15, second=0, microsecond=0)
    if resolution == HOUR:
        return ts.replace(minute=0, second=0, microsecond=0)
    if resolution == DAY:
        return ts.replace(hour=0, minute=0, second=0, microsecond=0)
    if resolution == MONTH:
        return ts.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    raise ValueError(f"unknown resolution {resolution!r}")


def next_start(bucket_start: datetime, resolution: str) -> datetime:
    """The start of the bucket after the one starting at ``bucket_start`` (OverflowError past year 9999)."""
    if resolution == MONTH:
        year, month = bucket_start.year, bucket_start.month
        if month == 12:
            if year >= 9999:
                raise OverflowError("date value out of range")
            return bucket_start.replace(year=year + 1, month=1)
        return bucket_start.replace(month=month + 1)
    return bucket_start + STEP[resolution]


def ceil_to(ts: datetime, resolution: str) -> datetime:
    """The first bucket boundary of ``resolution`` at or after ``ts``."""
    floor = floor_to(ts, resolution)
    return floor if floor == _utc(ts) else next_start(floor, resolution)


@lru_cache(maxsize=16_384)  # the counter batches and the roll-up pass 15-minute bucket starts, which repeat
def bucket_starts(ts: datetime) -> tuple[tuple[str, datetime], ...]:
    """``((resolution, bucket_start), …)`` for every resolution: where one observation is counted."""
    return tuple((resolution, floor_to(ts, resolution)) for resolution in RESOLUTIONS)


def widen(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The smallest window aligned to the finest bucket that contains ``[start, end)``."""
    return floor_to(start, FINEST), ceil_to(end, FINEST)


@dataclass(frozen=True)
class Tile:
    """Buckets of ``resolution`` whose start lies in ``[start, end)``; together they cover exactly that span."""

    resolution: str
    start: datetime
    end: datetime


def tile(start: datetime, end: datetime, levels: tuple[str, ...] = TILING_LEVELS) -> list[Tile]:
    """The coarsest tiles covering ``[start, end)`` exactly, in time order (at most 2·levels − 1).

    ``start`` and ``end`` must be aligned to the finest level (see :func:`widen`).
    """
    start, end = _utc(start), _utc(end)
    finest = levels[-1]
    if floor_to(start, finest) != start or floor_to(end, finest) != end:
        raise ValueError(f"window must be aligned to {finest} buckets")
    return _tile(start, end, levels)


def _tile(start: datetime, end: datetime, levels: tuple[str, ...]) -> list[Tile]:
    if start >= end:
        return []
    level, finer = levels[0], levels[1:]
    if not finer:
        return [Tile(level, start, end)]
    try:
        inner_start = ceil_to(start, level)
    except OverflowError:  # the next boundary is past datetime.max: no whole bucket inside
        return _tile(start, end, finer)
    inner_end = floor_to(end, level)
    if inner_start >= inner_end:  # not one whole bucket of this level inside: go finer
        return _tile(start, end, finer)
    return [*_tile(start, inner_start, finer), Tile(level, inner_start, inner_end), *_tile(inner_end, end, finer)]
