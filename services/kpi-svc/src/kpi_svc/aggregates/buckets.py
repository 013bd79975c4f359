"""Pure time-bucket arithmetic: UTC bucket starts per resolution and the tiling of a window.

Every observation is counted once at each resolution (15 minutes, hour, day, UTC calendar month).
A window ``[start, end)`` aligned to 15 minutes is read from the coarsest buckets that tile it
exactly: whole months from month rows, the remaining whole days from day rows, then whole hours
from hour rows, the rest from q15 rows. A one-bucket read may also take an edge as its whole
coarser bucket minus the rest of it (:func:`signed_tile`): sums and bin counts subtract exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    """Buckets of ``resolution`` whose start lies in ``[start, end)``; together they cover exactly
    that span. ``sign`` −1: a tile whose rows are subtracted (see :func:`signed_tile`)."""

    resolution: str
    start: datetime
    end: datetime
    sign: int = 1


def tile(start: datetime, end: datetime) -> list[Tile]:
    """The coarsest tiles covering ``[start, end)`` exactly, in time order (at most 2·levels − 1).

    ``start`` and ``end`` must be aligned to the finest level (see :func:`widen`).
    """
    return signed_tile(start, end, whole=())


def signed_tile(start: datetime, end: datetime, *, whole: tuple[str, ...] = (MONTH, DAY)) -> list[Tile]:
    """Tiles whose signed sum covers ``[start, end)`` exactly, reading as few rows as possible: an
    edge of the window that is most of a bucket of a level in ``whole`` (levels whose buckets are
    stored) is read as that bucket minus the rest of it, e.g. 1-29 October as October minus its
    30th and 31st: three rows instead of 29.

    Rows are counted as buckets at the levels in ``whole`` and as 15-minute cells below them (the
    ticket aggregates store no hours). The subtracted parts are tiled plainly (as by :func:`tile`,
    which is this with no level in ``whole``), and every tile of an edge lies in that edge's
    bucket, so no two tiles of one resolution overlap: a stored row belongs to one tile at most.
    """
    start, end = _utc(start), _utc(end)
    if floor_to(start, FINEST) != start or floor_to(end, FINEST) != end:
        raise ValueError(f"window must be aligned to {FINEST} buckets")
    joined: list[Tile] = []
    for piece in _fewest_rows(start, end, TILING_LEVELS, whole):
        append_joined(joined, piece)
    return joined


def append_joined(tiles: list[Tile], piece: Tile) -> None:
    """Append ``piece`` to ``tiles``, or extend their last tile with it where it continues that
    tile at the same resolution and sign: one range of rows to read, not two."""
    last = tiles[-1] if tiles else None
    if last is not None and (last.resolution, last.sign, last.end) == (piece.resolution, piece.sign, piece.start):
        tiles[-1] = replace(last, end=piece.end)
    else:
        tiles.append(piece)


def _fewest_rows(start: datetime, end: datetime, levels: tuple[str, ...], whole: tuple[str, ...]) -> list[Tile]:
    if start >= end:
        return []
    level, finer = levels[0], levels[1:]
    if not finer:
        return [Tile(level, start, end)]
    try:
        inner_start = ceil_to(start, level)
    except OverflowError:  # the next boundary is past datetime.max: no whole bucket inside
        return _fewest_rows(start, end, finer, whole)
    inner_end = floor_to(end, level)
    if inner_start > inner_end:  # start and end in one bucket of this level
        return _edge(start, end, levels, whole)
    middle = [Tile(level, inner_start, inner_end)] if inner_start < inner_end else []
    return [*_edge(start, inner_start, levels, whole), *middle, *_edge(inner_end, end, levels, whole)]


def _edge(start: datetime, end: datetime, levels: tuple[str, ...], whole: tuple[str, ...]) -> list[Tile]:
    """Tiles of ``[start, end)``, a part of one bucket of ``levels[0]``: finer ones, or, at a
    level in ``whole``, the bucket minus the rest of it tiled plainly, whichever reads fewer rows."""
    if start >= end:
        return []
    level, finer = levels[0], levels[1:]
    plain = _fewest_rows(start, end, finer, whole)
    if level not in whole:
        return plain
    bucket = floor_to(start, level)
    try:
        bucket_end = next_start(bucket, level)
    except OverflowError:
        return plain
    rest = [*_fewest_rows(bucket, start, finer, ()), *_fewest_rows(end, bucket_end, finer, ())]
    minus = [Tile(level, bucket, bucket_end), *(replace(t, sign=-1) for t in rest)]
    return minus if _rows(minus, whole) < _rows(plain, whole) else plain


def _rows(tiles: list[Tile], whole: tuple[str, ...]) -> int:
    """The rows a read of ``tiles`` takes per group: buckets at the ``whole`` levels, 15-minute
    cells below them."""
    count = 0
    for t in tiles:
        if t.resolution == MONTH and MONTH in whole:
            count += (t.end.year - t.start.year) * 12 + t.end.month - t.start.month
        elif t.resolution in whole:
            count += (t.end - t.start) // STEP[t.resolution]
        else:
            count += (t.end - t.start) // STEP[FINEST]
    return count
