import math
import random

import pytest

from kpi_svc.aggregates import sketch


def exact(values, q):
    return sorted(values)[math.floor(q * (len(values) - 1))]


def bins_of(values):
    counts = {}
    for v in values:
        counts[sketch.key(v)] = counts.get(sketch.key(v), 0) + 1
    return list(counts.items())


DISTRIBUTIONS = {
    "uniform": lambda rng: rng.uniform(0, 7200),
    "exponential": lambda rng: rng.expovariate(1 / 600),
    "lognormal": lambda rng: rng.lognormvariate(5, 2),
    "pareto": lambda rng: rng.paretovariate(1.2) * 30,
    "bimodal": lambda rng: rng.gauss(60, 5) if rng.random() < 0.5 else rng.gauss(86_400, 3_600),
    "milliseconds": lambda rng: rng.randrange(1, 5000) / 1000,
    "with_zeros": lambda rng: 0.0 if rng.random() < 0.3 else rng.uniform(0.001, 100),
    "constant": lambda rng: 42.0,
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_quantiles_within_one_percent_of_exact(name):
    rng = random.Random(name)
    draw = DISTRIBUTIONS[name]
    for size in (1, 2, 3, 10, 101, 1000, 20_000):
        values = [max(draw(rng), 0.0) for _ in range(size)]
        bins = bins_of(values)
        for q in (0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0):
            want = exact(values, q)
            got = sketch.quantile(bins, q)
            assert abs(got - want) <= sketch.RELATIVE_ACCURACY * want + 1e-12, (name, size, q, got, want)


def test_bins_merge_by_adding_counts():
    rng = random.Random(3)
    parts = [[rng.expovariate(1 / 300) for _ in range(rng.randrange(1, 500))] for _ in range(20)]
    merged = [pair for part in parts for pair in bins_of(part)]  # the same key many times: summed
    everything = [v for part in parts for v in part]
    for q in (0.5, 0.9):
        assert sketch.quantile(merged, q) == sketch.quantile(bins_of(everything), q)


def test_zero_has_its_own_bin_below_every_positive_value():
    assert sketch.key(0.0) == sketch.ZERO_KEY < sketch.key(0.001)
    assert sketch.value(sketch.ZERO_KEY) == 0.0
    assert sketch.quantile([(sketch.ZERO_KEY, 3), (sketch.key(10.0), 1)], 0.5) == 0.0


def test_empty_bins_have_no_quantile_and_q_is_checked():
    assert sketch.quantile([], 0.5) is None
    assert sketch.quantile([(5, 0)], 0.5) is None
    with pytest.raises(ValueError):
        sketch.quantile([(5, 1)], 1.5)


# ---- stored form: blobs ------------------------------------------------------------------------


def test_blob_round_trip_keeps_every_bin_sorted_and_drops_zero_counts():
    rng = random.Random(4)
    values = [0.0] * 7 + [rng.lognormvariate(5, 2) for _ in range(5000)]
    bins = dict(bins_of(values))
    blob = sketch.encode({**bins, 12345: 0})
    assert len(blob) == sketch.PAIR_SIZE * len(bins)
    assert sketch.decode(blob) == bins
    assert list(sketch.decode(blob)) == sorted(bins)  # sorted by key, the zero bin first
    assert sketch.ZERO_KEY in sketch.decode(blob)
    assert sketch.encode({}) == sketch.EMPTY == b""
    assert sketch.decode(b"") == {} and sketch.decode(None) == {}
    assert sketch.encode({2**31 - 1: 2**62, sketch.ZERO_KEY: 1}) == (
        b"\x80\x00\x00\x00" + (1).to_bytes(8, "big") + b"\x7f\xff\xff\xff" + (2**62).to_bytes(8, "big")
    )
    with pytest.raises(ValueError):
        sketch.decode(blob[:-1])


def test_merged_blobs_hold_the_bins_of_the_union():
    rng = random.Random(5)
    parts = [[rng.expovariate(1 / 300) for _ in range(rng.randrange(0, 400))] for _ in range(15)]
    parts.append([0.0, 0.0])
    everything = [v for part in parts for v in part]
    blobs = [sketch.encode(dict(bins_of(part))) for part in parts]
    assert sketch.decode(sketch.merge(*blobs)) == dict(bins_of(everything))
    assert sketch.merge(*blobs) == sketch.encode(dict(bins_of(everything)))
    # incremental merges (what the writer does batch after batch) give the same blob
    acc = sketch.EMPTY
    for part in parts:
        acc = sketch.merge_bins(acc, dict(bins_of(part)))
    assert acc == sketch.merge(*blobs)
    into: dict[int, int] = {}
    for blob in blobs:
        sketch.merge_into(into, blob)
    assert into == dict(bins_of(everything))


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_quantiles_from_merged_blobs_within_one_percent_of_exact(name):
    rng = random.Random(name + "/blobs")
    draw = DISTRIBUTIONS[name]
    values = [max(draw(rng), 0.0) for _ in range(5000)]
    pieces = [values[i : i + 97] for i in range(0, len(values), 97)]
    merged: dict[int, int] = {}
    for piece in pieces:
        sketch.merge_into(merged, sketch.encode(dict(bins_of(piece))))
    for q in (0.0, 0.01, 0.5, 0.9, 0.99, 1.0):
        want = exact(values, q)
        got = sketch.quantile(merged.items(), q)
        assert got == sketch.quantile(bins_of(values), q)
        assert abs(got - want) <= sketch.RELATIVE_ACCURACY * want + 1e-12, (name, q, got, want)


def test_the_inlined_key_is_ddsketchs_mapping_bit_for_bit():
    from ddsketch.mapping import LogarithmicMapping

    mapping = LogarithmicMapping(relative_accuracy=sketch.RELATIVE_ACCURACY)
    rng = random.Random(17)
    values = [rng.lognormvariate(rng.uniform(-8, 12), rng.uniform(0.1, 3)) for _ in range(50_000)]
    values += [1e-300, 0.001, 0.5, 1.0, 2.0, 86_400.0, 1e9, mapping.min_possible * 1.0000001]
    for value in values:
        assert sketch.key(value) == mapping.key(value), value
