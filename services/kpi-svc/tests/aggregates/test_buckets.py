import random
from datetime import datetime, timedelta, timezone

import pytest

from kpi_svc.aggregates.buckets import (
    DAY,
    HOUR,
    MONTH,
    Q15,
    STEP,
    TILING_LEVELS,
    Tile,
    bucket_starts,
    ceil_to,
    floor_to,
    next_start,
    signed_tile,
    tile,
    widen,
)

UTC = timezone.utc
CST = timezone(timedelta(hours=8))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_floor_and_ceil_per_resolution_in_utc():
    ts = at("2026-11-21T07:37:12.5+08:00")  # 2026-11-20T23:37:12.5Z
    assert floor_to(ts, Q15) == at("2026-11-20T23:30:00+00:00")
    assert floor_to(ts, HOUR) == at("2026-11-20T23:00:00+00:00")
    assert floor_to(ts, DAY) == at("2026-11-20T00:00:00+00:00")
    assert floor_to(ts, MONTH) == at("2026-11-01T00:00:00+00:00")
    assert ceil_to(ts, MONTH) == at("2026-12-01T00:00:00+00:00")
    assert floor_to(at("2027-01-01T07:00:00+08:00"), MONTH) == at("2026-12-01T00:00:00+00:00")  # UTC months
    assert ceil_to(ts, Q15) == at("2026-11-20T23:45:00+00:00")
    assert ceil_to(ts, DAY) == at("2026-11-21T00:00:00+00:00")
    boundary = at("2026-11-21T00:00:00+00:00")
    assert ceil_to(boundary, DAY) == floor_to(boundary, DAY) == boundary
    assert floor_to(ts, DAY).tzinfo == UTC


def test_bucket_starts_count_an_observation_once_per_resolution():
    assert bucket_starts(at("2026-11-20T23:59:59.999+00:00")) == (
        (Q15, at("2026-11-20T23:45:00+00:00")),
        (HOUR, at("2026-11-20T23:00:00+00:00")),
        (DAY, at("2026-11-20T00:00:00+00:00")),
        (MONTH, at("2026-11-01T00:00:00+00:00")),
    )


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError):
        floor_to(datetime(2026, 11, 20), Q15)


def test_widen_to_the_enclosing_15_minute_boundaries():
    assert widen(at("2026-11-20T10:07:00+00:00"), at("2026-11-20T10:52:01+00:00")) == (
        at("2026-11-20T10:00:00+00:00"),
        at("2026-11-20T11:00:00+00:00"),
    )
    aligned = (at("2026-11-20T10:15:00+00:00"), at("2026-11-20T10:30:00+00:00"))
    assert widen(*aligned) == aligned


def test_tile_uses_days_then_hours_then_quarters():
    tiles = tile(at("2026-11-20T22:45:00+00:00"), at("2026-11-23T01:15:00+00:00"))
    assert tiles == [
        Tile(Q15, at("2026-11-20T22:45:00+00:00"), at("2026-11-20T23:00:00+00:00")),
        Tile(HOUR, at("2026-11-20T23:00:00+00:00"), at("2026-11-21T00:00:00+00:00")),
        Tile(DAY, at("2026-11-21T00:00:00+00:00"), at("2026-11-23T00:00:00+00:00")),
        Tile(HOUR, at("2026-11-23T00:00:00+00:00"), at("2026-11-23T01:00:00+00:00")),
        Tile(Q15, at("2026-11-23T01:00:00+00:00"), at("2026-11-23T01:15:00+00:00")),
    ]
    assert tile(at("2026-11-20T10:15:00+00:00"), at("2026-11-20T10:45:00+00:00")) == [
        Tile(Q15, at("2026-11-20T10:15:00+00:00"), at("2026-11-20T10:45:00+00:00"))
    ]
    # a window across midnight without a whole day inside it: hours on both sides
    assert [t.resolution for t in tile(at("2026-11-20T21:00:00+00:00"), at("2026-11-21T03:00:00+00:00"))] == [HOUR]


def test_next_month_across_february_and_year_ends():
    assert next_start(at("2026-01-01T00:00:00+00:00"), MONTH) == at("2026-02-01T00:00:00+00:00")
    assert next_start(at("2026-02-01T00:00:00+00:00"), MONTH) == at("2026-03-01T00:00:00+00:00")
    assert next_start(at("2026-12-01T00:00:00+00:00"), MONTH) == at("2027-01-01T00:00:00+00:00")
    assert ceil_to(at("2028-02-29T12:00:00+00:00"), MONTH) == at("2028-03-01T00:00:00+00:00")  # leap year
    with pytest.raises(OverflowError):
        next_start(at("9999-12-01T00:00:00+00:00"), MONTH)


def test_tile_uses_whole_months_first():
    tiles = tile(at("2026-07-31T23:45:00+00:00"), at("2026-10-30T00:00:00+00:00"))
    assert tiles == [
        Tile(Q15, at("2026-07-31T23:45:00+00:00"), at("2026-08-01T00:00:00+00:00")),
        Tile(MONTH, at("2026-08-01T00:00:00+00:00"), at("2026-10-01T00:00:00+00:00")),
        Tile(DAY, at("2026-10-01T00:00:00+00:00"), at("2026-10-30T00:00:00+00:00")),
    ]
    # across a year end and a (non-leap) February
    assert tile(at("2026-12-15T00:00:00+00:00"), at("2027-03-02T01:00:00+00:00")) == [
        Tile(DAY, at("2026-12-15T00:00:00+00:00"), at("2027-01-01T00:00:00+00:00")),
        Tile(MONTH, at("2027-01-01T00:00:00+00:00"), at("2027-03-01T00:00:00+00:00")),
        Tile(DAY, at("2027-03-01T00:00:00+00:00"), at("2027-03-02T00:00:00+00:00")),
        Tile(HOUR, at("2027-03-02T00:00:00+00:00"), at("2027-03-02T01:00:00+00:00")),
    ]
    # a window inside one month, or across a month end without a whole month: no month tile
    assert MONTH not in {t.resolution for t in tile(at("2028-02-01T00:00:00+00:00"), at("2028-02-29T00:00:00+00:00"))}
    assert tile(at("2028-02-01T00:00:00+00:00"), at("2028-03-01T00:00:00+00:00")) == [
        Tile(MONTH, at("2028-02-01T00:00:00+00:00"), at("2028-03-01T00:00:00+00:00"))
    ]
    # near the end of the calendar the month after is out of range: finer tiles, no error
    assert tile(at("9999-12-02T00:00:00+00:00"), at("9999-12-31T00:00:00+00:00")) == [
        Tile(DAY, at("9999-12-02T00:00:00+00:00"), at("9999-12-31T00:00:00+00:00"))
    ]


def test_tile_refuses_unaligned_windows():
    with pytest.raises(ValueError):
        tile(at("2026-11-20T10:07:00+00:00"), at("2026-11-20T11:00:00+00:00"))


def _slots(start: datetime, end: datetime) -> list[datetime]:
    out, ts = [], start
    while ts < end:
        out.append(ts)
        ts += STEP[Q15]
    return out


def _check_tiling(start: datetime, end: datetime) -> list[Tile]:
    start_cst = start.astimezone(CST)  # offsets in the input do not matter
    tiles = tile(start_cst, end)
    assert len(tiles) <= 2 * len(TILING_LEVELS) - 1
    covered: list[datetime] = []
    for t in tiles:
        assert floor_to(t.start, t.resolution) == t.start and floor_to(t.end, t.resolution) == t.end
        assert t.start < t.end
        covered.extend(_slots(t.start, t.end))
    assert covered == _slots(start, end)  # disjoint, in order, nothing missing, nothing extra
    # coarsest: every whole month / day / hour inside the window is read from a row of that level or coarser
    for level in (MONTH, DAY, HOUR):
        coarser = TILING_LEVELS[: TILING_LEVELS.index(level) + 1]
        bucket = ceil_to(start, level)
        while next_start(bucket, level) <= end:
            assert any(
                t.resolution in coarser and t.start <= bucket and next_start(bucket, level) <= t.end for t in tiles
            ), (start, end, level, bucket)
            bucket = next_start(bucket, level)
    return tiles


def test_random_tilings_are_disjoint_exact_covers_from_the_coarsest_buckets():
    rng = random.Random(7)
    origin = at("2026-02-27T00:00:00+00:00")  # crosses the end of February
    for _ in range(300):
        start = origin + STEP[Q15] * rng.randrange(0, 96 * 6)
        end = start + STEP[Q15] * rng.randrange(1, 96 * 5)
        _check_tiling(start, end)


def test_random_long_tilings_across_months_februaries_and_year_ends():
    rng = random.Random(8)
    origin = at("2027-10-01T00:00:00+00:00")  # windows cross 2027/2028 and the leap February 2028
    months = set()
    for _ in range(150):
        start = origin + STEP[Q15] * rng.randrange(0, 96 * 200)
        end = start + STEP[Q15] * rng.randrange(1, 96 * 400)
        tiles = _check_tiling(start, end)
        months.update(t.start for t in tiles if t.resolution == MONTH)
    # January (a year start) and February were both read from month rows in some window
    assert any(m.month == 1 for m in months) and any(m.month == 2 for m in months)


# ---- signed tilings: a coarser bucket minus the rest of it --------------------------------------


def _net_slots(tiles: list[Tile]) -> dict[datetime, int]:
    net: dict[datetime, int] = {}
    for t in tiles:
        for slot in _slots(t.start, t.end):
            net[slot] = net.get(slot, 0) + t.sign
    return {slot: sign for slot, sign in net.items() if sign}


def _stored_rows(t: Tile) -> list[tuple[str, datetime]]:
    """The stored rows a tile reads (the ticket layout stores no hours: an hour is its quarters)."""
    if t.resolution == HOUR:
        return [(Q15, slot) for slot in _slots(t.start, t.end)]
    rows, bucket = [], t.start
    while bucket < t.end:
        rows.append((t.resolution, bucket))
        bucket = next_start(bucket, t.resolution)
    return rows


def _check_signed(start: datetime, end: datetime) -> list[Tile]:
    tiles = signed_tile(start.astimezone(CST), end)
    assert _net_slots(tiles) == {slot: 1 for slot in _slots(start, end)}  # inside once, outside cancelled
    rows = [row for t in tiles for row in _stored_rows(t)]
    assert len(rows) == len(set(rows))  # no stored row in two tiles: one sign per row
    assert all(t.sign == 1 for t in tiles if t.resolution == MONTH)
    plain = [row for t in tile(start, end) for row in _stored_rows(t)]
    assert len(rows) <= len(plain)
    return tiles


def test_signed_tiling_reads_most_of_a_month_as_the_month_minus_the_rest():
    tiles = signed_tile(at("2026-08-01T00:00:00+00:00"), at("2026-10-30T00:00:00+00:00"))
    assert tiles == [
        Tile(MONTH, at("2026-08-01T00:00:00+00:00"), at("2026-11-01T00:00:00+00:00")),
        Tile(DAY, at("2026-10-30T00:00:00+00:00"), at("2026-11-01T00:00:00+00:00"), sign=-1),
    ]
    # a window inside one day: the day minus its first and last hours, against 88 quarters
    assert signed_tile(at("2026-11-20T01:00:00+00:00"), at("2026-11-20T23:00:00+00:00")) == [
        Tile(DAY, at("2026-11-20T00:00:00+00:00"), at("2026-11-21T00:00:00+00:00")),
        Tile(HOUR, at("2026-11-20T00:00:00+00:00"), at("2026-11-20T01:00:00+00:00"), sign=-1),
        Tile(HOUR, at("2026-11-20T23:00:00+00:00"), at("2026-11-21T00:00:00+00:00"), sign=-1),
    ]
    # less than half a bucket: read as it is
    assert signed_tile(at("2026-11-20T00:00:00+00:00"), at("2026-11-25T00:00:00+00:00")) == tile(
        at("2026-11-20T00:00:00+00:00"), at("2026-11-25T00:00:00+00:00")
    )


def test_random_signed_tilings_cover_the_window_once_with_no_row_twice():
    rng = random.Random(9)
    origin = at("2027-12-20T00:00:00+00:00")  # crosses a year end and the leap February 2028
    subtracted = 0
    for _ in range(400):
        start = origin + STEP[Q15] * rng.randrange(0, 96 * 80)
        end = start + STEP[Q15] * rng.randrange(1, 96 * rng.choice((1, 3, 40, 120)))
        subtracted += any(t.sign < 0 for t in _check_signed(start, end))
    assert subtracted > 100
