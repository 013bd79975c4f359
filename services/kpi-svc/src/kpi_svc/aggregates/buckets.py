"""Pure time-bucket arithmetic: UTC bucket starts per resolution and the tiling of a window.

Every observation is counted once at each resolution (15 minutes, hour, day). A window
``[start, end)`` aligned to 15 minutes is read from the coarsest buckets that tile it exactly:
whole days from day rows, the remaining whole hours from hour rows, the rest from q15 rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

Q15 = "q15"
HOUR = "hour"
DAY = "day"

#: Finest first. Adding a coarser level (e.g. "month") means adding it here, in ``floor_to`` and
#: in ``TILING_LEVELS``; the writer and the tiling follow.
RESOLUTIONS: tuple[str, ...] = (Q15, HOUR, DAY)
TILING_LEVELS: tuple[str, ...] = (DAY, HOUR, Q15)  # coarsest first
FINEST = Q15
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
    raise ValueError(f"unknown resolution {resolution!r}")


def ceil_to(ts: datetime, resolution: str) -> datetime:
    """The first bucket boundary of ``resolution`` at or after ``ts``."""
    floor = floor_to(ts, resolution)
    return floor if floor == _utc(ts) else floor + STEP[resolution]


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
    inner_start, inner_end = ceil_to(start, level), floor_to(end, level)
    if inner_start >= inner_end:  # not one whole bucket of this level inside: go finer
        return _tile(start, end, finer)
    return [*_tile(start, inner_start, finer), Tile(level, inner_start, inner_end), *_tile(inner_end, end, finer)]
