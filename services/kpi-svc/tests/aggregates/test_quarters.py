"""quarters.py: a day's 15-minute cells packed into one blob and read back, whole or a run of
slots at a time."""

import random
from datetime import datetime

import pytest

from kpi_svc.aggregates import quarters, sketch

T = datetime.fromisoformat
DAY = T("2026-11-20T00:00:00+00:00")


def random_cells(rng: random.Random, width: int = 16) -> list:
    slots = sorted(rng.sample(range(96), rng.randrange(1, 40)))
    cells = []
    for slot in slots:
        counters = [rng.choice((0, 0, 1, rng.randrange(2**40))) for _ in range(width)]
        counters[0] = rng.randrange(1, 5)  # never an empty cell
        blobs = [sketch.encode({rng.randrange(-400, 900): rng.randrange(1, 2**33) for _ in range(rng.randrange(0, 6))}) for _ in range(2)]
        cells.append((slot, counters, blobs))
    return cells


def test_a_packed_day_gives_back_every_cell():
    rng = random.Random(5)
    for _ in range(200):
        cells = random_cells(rng)
        blob = quarters.encode(cells)
        assert quarters.decode(blob).cells(16) == [(slot, counters, blobs) for slot, counters, blobs in cells]
        assert len(blob) < sum(8 * 16 + 1 + len(b"".join(blobs)) for _, _, blobs in cells)  # smaller than the raw cells


def test_runs_of_slots_sum_their_counters_and_join_their_bins():
    rng = random.Random(6)
    for _ in range(200):
        cells = random_cells(rng)
        day = quarters.decode(quarters.encode(cells))
        first, end = sorted(rng.sample(range(97), 2))
        inside = [cell for cell in cells if first <= cell[0] < end]
        i, j = day.span(first, end)
        assert j - i == len(inside)
        want = [sum(column) for column in zip(*(c[1] for c in inside))] if inside else [0] * 16
        assert day.sums(i, j, 16) == want
        for metric, blob in enumerate(day.sketches(i, j)):
            assert blob == b"".join(c[2][metric] for c in inside)  # a valid sketch blob: repeated keys are added by merge_blobs


def test_empty_cells_are_left_out_and_an_empty_day_is_no_blob():
    assert quarters.encode([]) == quarters.EMPTY
    assert quarters.encode([(3, [0] * 16, [b"", b""])]) == quarters.EMPTY
    assert quarters.decode(b"") is None
    blob = quarters.encode([(3, [0] * 16, [b"", b""]), (4, [1] + [0] * 15, [b"", b""])])
    assert [slot for slot, _, _ in quarters.decode(blob).cells(16)] == [4]


def test_a_day_packed_with_fewer_counters_reads_the_new_ones_as_zero():
    blob = quarters.encode([(10, [1, 2, 3], [sketch.encode({5: 1}), b""])])
    assert quarters.decode(blob).cells(5) == [(10, [1, 2, 3, 0, 0], [sketch.encode({5: 1}), b""])]
    with pytest.raises(ValueError):
        quarters.decode(blob).sums(0, 1, 2)  # more counters than the reader knows


@pytest.mark.parametrize("slots", [[5, 5], [7, 3], [96], [-1]])
def test_slots_must_be_distinct_ascending_and_within_the_day(slots):
    with pytest.raises(ValueError):
        quarters.encode([(slot, [1], [b""]) for slot in slots])


def test_spans_cut_ranges_to_the_day_and_at_bucket_boundaries():
    ranges = [(T("2026-11-19T23:00:00+00:00"), T("2026-11-20T01:00:00+00:00")), (T("2026-11-20T18:15:00+00:00"), T("2026-11-21T02:00:00+00:00"))]
    cuts = [T("2026-11-20T00:30:00+00:00"), T("2026-11-20T19:15:00+00:00"), T("2026-11-21T00:00:00+00:00")]
    assert quarters.spans(DAY, ranges, cuts) == [
        (0, 2, T("2026-11-20T00:00:00+00:00")),
        (2, 4, T("2026-11-20T00:30:00+00:00")),
        (73, 77, T("2026-11-20T18:15:00+00:00")),
        (77, 96, T("2026-11-20T19:15:00+00:00")),
    ]
    assert quarters.spans(DAY, [(T("2026-11-21T00:00:00+00:00"), T("2026-11-22T00:00:00+00:00"))]) == []


def test_unpacked_gives_the_runs_holding_cells():
    cells = [(1, [1] + [0] * 15, [sketch.encode({3: 1}), b""]), (80, [2] + [0] * 15, [b"", sketch.encode({9: 2})])]
    blob = quarters.encode(cells)
    runs = [(0, 4, T("2026-11-20T00:00:00+00:00")), (4, 80, T("2026-11-20T01:00:00+00:00")), (80, 96, T("2026-11-20T20:00:00+00:00"))]
    assert quarters.unpacked(blob, runs, 16) == [
        (T("2026-11-20T00:00:00+00:00"), [1] + [0] * 15, [sketch.encode({3: 1}), b""]),
        (T("2026-11-20T20:00:00+00:00"), [2] + [0] * 15, [b"", sketch.encode({9: 2})]),
    ]
