"""sketch.merge_blobs and sketch.merged_quantiles (the read path's numpy merge) give exactly what
the pure-Python merge_into and quantile give, on random blobs."""

import random
import struct

import pytest

from kpi_svc.aggregates import sketch

QS = (0.0, 1e-9, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1 - 1e-12, 1.0)


def random_blob(
    rng: random.Random, bins: int, *, max_count: int = 1000, zero_bin: bool = False, keys: range = range(-400, 1200)
) -> bytes:
    keys = rng.sample(keys, bins)
    counts = {key: rng.randint(1, max_count) for key in keys}
    if zero_bin:
        counts[sketch.ZERO_KEY] = rng.randint(1, max_count)
    return sketch.encode(counts)


def reference(blobs):
    """(sorted [(key, count)], {q: quantile}) by the pure-Python functions."""
    merged: dict[int, int] = {}
    for blob in blobs:
        sketch.merge_into(merged, blob)
    return sorted((k, c) for k, c in merged.items() if c), {q: sketch.quantile(merged.items(), q) for q in QS}


def check(blobs):
    want_bins, want_quantiles = reference(blobs)
    keys, counts = sketch.merge_blobs(blobs)
    assert list(zip(keys.tolist(), [int(c) for c in counts])) == want_bins
    got = sketch.merged_quantiles((keys, counts), QS)
    assert got == [want_quantiles[q] for q in QS]
    assert all(type(v) is float for v in got if v is not None)


@pytest.mark.parametrize("seed", range(20))
def test_many_blobs_of_many_bins(seed):
    rng = random.Random(seed)
    blobs = [random_blob(rng, rng.randrange(1, 800), zero_bin=rng.random() < 0.3) for _ in range(rng.randrange(1, 70))]
    blobs += [b"", None]
    rng.shuffle(blobs)
    check(blobs)


@pytest.mark.parametrize("seed", range(10))
def test_a_concatenation_of_blobs_merges_as_the_blobs_themselves(seed):
    # what a database's concatenation of a group's blobs gives (read.grouped): one blob whose
    # keys repeat and are not sorted, the blobs in any order
    rng = random.Random(200 + seed)
    blobs = [random_blob(rng, rng.randrange(1, 300), zero_bin=rng.random() < 0.3, keys=range(-50, 250)) for _ in range(rng.randrange(2, 40))]
    rng.shuffle(blobs)
    joined = b"".join(blobs)
    keys, counts = sketch.merge_blobs([joined])
    want_keys, want_counts = sketch.merge_blobs(blobs)
    assert keys.tolist() == want_keys.tolist() and counts.tolist() == want_counts.tolist()
    assert len(set(keys.tolist())) < sum(len(b) for b in blobs) // sketch.PAIR_SIZE  # keys did repeat
    check([joined])
    check([joined[: 12 * 7], joined[12 * 7 :]])  # split anywhere on a bin boundary


@pytest.mark.parametrize("seed", range(5))
def test_counts_above_2_to_the_32(seed):
    rng = random.Random(100 + seed)
    blobs = [random_blob(rng, rng.randrange(1, 300), max_count=2**40, zero_bin=True) for _ in range(31)]
    blobs.append(sketch.encode({5: 2**33 + 7, 6: 2**32}))
    check(blobs)


def test_counts_summing_past_2_to_the_53_stay_exact():
    # float64 would round these sums: they are summed as int64
    blobs = [sketch.encode({1: 2**53, 2: 5, sketch.ZERO_KEY: 2**52 + 1}), sketch.encode({1: 3, sketch.ZERO_KEY: 2**52 + 1})]
    check(blobs)
    keys, counts = sketch.merge_blobs(blobs)
    assert [int(c) for c in counts] == [2**53 + 2, 2**53 + 3, 5]


def test_a_rank_rounded_up_past_the_last_count_reads_the_last_bin():
    # n − 1 = 2**53 + 3 is 2**53 + 4 as a float: no cumulative count exceeds that rank
    blobs = [sketch.encode({1: 2**53 + 3, 2: 1})]
    check(blobs)
    assert sketch.merged_quantiles(sketch.merge_blobs(blobs), (1.0,)) == [sketch.value(2)]


@pytest.mark.parametrize("seed", range(5))
def test_keys_spanning_a_wide_range(seed):
    rng = random.Random(200 + seed)
    wide = range(-(2**31) + 1, 2**31 - 1, 9973)
    blobs = [random_blob(rng, rng.randrange(1, 200), zero_bin=rng.random() < 0.5, keys=wide) for _ in range(20)]
    merged: dict[int, int] = {}
    for blob in blobs:
        sketch.merge_into(merged, blob)
    keys, counts = sketch.merge_blobs(blobs)  # too wide for one bincount: sorted
    assert list(zip(keys.tolist(), counts.tolist())) == sorted(merged.items())


def test_pairs_with_zero_counts_are_dropped():
    blob = b"".join(struct.pack(">iq", key, count) for key, count in ((sketch.ZERO_KEY, 0), (3, 0), (4, 2)))
    check([blob, sketch.encode({3: 1})])
    keys, counts = sketch.merge_blobs([blob])
    assert (keys.tolist(), counts.tolist()) == ([4], [2])
    keys, counts = sketch.merge_blobs([blob[:24]])
    assert len(keys) == len(counts) == 0


def test_counts_whose_sum_passes_int64_stay_exact():
    blobs = [sketch.encode({7: 2**62, 9: 3}), sketch.encode({7: 2**62, 8: 2**62 - 1}), sketch.encode({7: 5})]
    check(blobs)
    keys, counts = sketch.merge_blobs(blobs)
    assert [int(c) for c in counts] == [2**63 + 5, 2**62 - 1, 3]


def test_no_bins_at_all():
    for blobs in ([], [b""], [None, b"", None]):
        keys, counts = sketch.merge_blobs(blobs)
        assert len(keys) == len(counts) == 0
        assert sketch.merged_quantiles((keys, counts), (0.5, 0.9)) == [None, None]
    assert sketch.merged_quantiles(sketch.merge_blobs([]), ()) == []


def test_a_single_bin():
    for key in (0, -346, 20_000, sketch.ZERO_KEY):
        check([sketch.encode({key: 1})])
        check([sketch.encode({key: 3}), sketch.encode({key: 2**35})])


def test_only_the_zero_bin():
    blobs = [sketch.encode({sketch.ZERO_KEY: 4}), sketch.encode({sketch.ZERO_KEY: 1})]
    check(blobs)
    keys, counts = sketch.merge_blobs(blobs)
    assert (keys.tolist(), counts.tolist()) == ([sketch.ZERO_KEY], [5])


def test_the_zero_bin_sorts_first():
    blobs = [sketch.encode({sketch.ZERO_KEY: 4, 10: 1}), sketch.encode({-300: 2, sketch.ZERO_KEY: 1})]
    check(blobs)
    keys, counts = sketch.merge_blobs(blobs)
    assert keys.tolist() == [sketch.ZERO_KEY, -300, 10] and counts.tolist() == [5, 2, 1]
    assert sketch.merged_quantiles((keys, counts), (0.5,)) == [0.0]


def test_ranks_just_at_a_cumulative_count():
    # n = 11: rank 0.5 × 10 = 5.0 exactly; the bin whose cumulative count is 5 does not exceed it.
    blobs = [sketch.encode({1: 5, 2: 1, 3: 5})]
    check(blobs)
    assert sketch.merged_quantiles(sketch.merge_blobs(blobs), (0.5,)) == [sketch.value(2)]


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        sketch.merge_blobs([sketch.encode({1: 1})[:-1]])
    with pytest.raises(ValueError):
        sketch.merged_quantiles(sketch.merge_blobs([sketch.encode({1: 1})]), (1.5,))


@pytest.mark.parametrize("seed", range(6))
def test_subtracted_blobs_leave_the_bins_of_the_rest(seed):
    """A read of a month minus some of its days: merging every blob less the subtracted ones gives
    the bins of the others, on the float path, past 2**53 (sorted sums) and past a wide key span."""
    rng = random.Random(seed)
    max_count = (1000, 2**40, 2**61)[seed % 3]
    keys = range(-400, 1200) if seed < 3 else range(-70_000, 70_000)
    kept = [random_blob(rng, rng.randint(1, 80), max_count=max_count, zero_bin=rng.random() < 0.3, keys=keys) for _ in range(8)]
    taken = [random_blob(rng, rng.randint(1, 80), max_count=max_count, zero_bin=rng.random() < 0.3, keys=keys) for _ in range(5)]
    whole = sketch.merge(*kept, *taken)  # the coarser row: every bin of both
    keys_got, counts_got = sketch.merge_blobs([whole], minus=taken)
    want_keys, want_counts = sketch.merge_blobs(kept)
    assert keys_got.tolist() == want_keys.tolist() and [int(c) for c in counts_got] == [int(c) for c in want_counts]
    assert sketch.merge_blobs([whole, *taken], minus=taken * 2)[0].tolist() == want_keys.tolist()


def test_subtracting_bins_that_were_never_added_is_refused():
    blob = sketch.encode({10: 3, 20: 1})
    assert sketch.merge_blobs([blob], minus=[sketch.encode({10: 3})])[0].tolist() == [20]
    assert [c.tolist() for c in sketch.merge_blobs([blob], minus=[blob])] == [[], []]
    with pytest.raises(ValueError, match="subtracted"):
        sketch.merge_blobs([blob], minus=[sketch.encode({20: 2})])
    with pytest.raises(ValueError, match="subtracted"):
        sketch.merge_blobs([], minus=[blob])
