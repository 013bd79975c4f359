"""Pure, mergeable quantile sketch as bin counts (DDSketch's logarithmic mapping, 1 % accuracy).

A value is stored as one count in bin ``key(value)``; bins from any number of buckets merge by
adding counts per key. A quantile read from the merged bins is within 1 % relative error of the
exact ``sorted(values)[floor(q × (n − 1))]``.

Stored form (one blob per aggregate row and metric, see ``encode``): the non-empty bins as
``(int32 key, int64 count)`` pairs, big-endian, sorted by key, 12 bytes each, no header; the
empty sketch is ``b""``. Big-endian so that PostgreSQL can build the same bytes with
``int4send(key) || int8send(count)`` (the benchmark's bulk seeding does).

Reads merge many blobs at once with :func:`merge_blobs` (numpy: every bin of every blob counted
in one ``bincount`` over the key range) and read quantiles from the result with
:func:`merged_quantiles`; both give exactly what :func:`merge_into` and :func:`quantile` give.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from ddsketch.mapping import LogarithmicMapping

RELATIVE_ACCURACY = 0.01
_MAPPING = LogarithmicMapping(relative_accuracy=RELATIVE_ACCURACY)
#: Zero (and anything too small to index) has its own bin, below every logarithmic key
#: (1 ms = 0.001 s maps to about −346). Fits a 32-bit INTEGER column.
ZERO_KEY = -(2**31)


_MIN_POSSIBLE = _MAPPING.min_possible
#: 1 / log2(gamma), computed with the float operations of LogarithmicMapping's documented formula
#: (gamma = 1 + 2α / (1 − α)), so that :func:`key` is ``_MAPPING.key`` inlined, bit for bit
#: (checked against it in test_sketch), without reading the mapping's private attributes.
_MULTIPLIER = 1 / math.log1p(2 * RELATIVE_ACCURACY / (1 - RELATIVE_ACCURACY)) * math.log(2)


def key(value: float) -> int:
    """The bin of a non-negative value (``_MAPPING.key(value)``, bit for bit; see test_sketch)."""
    if value <= _MIN_POSSIBLE:
        return ZERO_KEY
    return math.ceil(math.log(value, 2) * _MULTIPLIER)


def value(bin_key: int) -> float:
    """The representative value of a bin (within 1 % of every value it holds)."""
    return 0.0 if bin_key == ZERO_KEY else _MAPPING.value(bin_key)


_PAIR = struct.Struct(">iq")
PAIR_SIZE = _PAIR.size  # 12
_SWAP = sys.byteorder == "little"  # the blob is big-endian
assert array("i").itemsize == array("I").itemsize == 4
EMPTY = b""


def encode(bins: Mapping[int, int]) -> bytes:
    """The blob of ``{bin_key: count}`` (zero counts dropped, keys sorted)."""
    pack = _PAIR.pack
    return b"".join([pack(bin_key, count) for bin_key, count in sorted(bins.items()) if count])


def _columns(blob: bytes):
    """``(keys, counts)`` of a non-empty blob as two sequences, without a Python object per bin.

    The blob is read as big-endian 32-bit words, three per bin (key, count high word, count low
    word), with C-level array slicing; no tuple per bin, so merging thousands of bins allocates
    nothing the garbage collector tracks.
    """
    if len(blob) % PAIR_SIZE:
        raise ValueError(f"sketch blob of {len(blob)} bytes is not a whole number of {PAIR_SIZE}-byte bins")
    signed = array("i")
    signed.frombytes(blob)
    unsigned = array("I")
    unsigned.frombytes(blob)
    if _SWAP:
        signed.byteswap()
        unsigned.byteswap()
    keys, high, low = signed[0::3], unsigned[1::3], unsigned[2::3]
    if max(high) == 0:  # every count below 2**32: the low words are the counts
        return keys, low
    return keys, [(h << 32) | l for h, l in zip(high, low)]


def decode(blob: bytes | None) -> dict[int, int]:
    """``{bin_key: count}`` of a blob made by :func:`encode` (``None`` or ``b""``: empty)."""
    if not blob:
        return {}
    return dict(zip(*_columns(blob)))


def merge_into(target: dict[int, int], blob: bytes | None) -> dict[int, int]:
    """Add the bins of ``blob`` to ``target`` (in place) and return it."""
    if blob:
        get = target.get
        for bin_key, count in zip(*_columns(blob)):
            target[bin_key] = get(bin_key, 0) + count
    return target


def merge(*blobs: bytes | None) -> bytes:
    """The blob whose bins are the per-key sums of the bins of ``blobs``."""
    merged: dict[int, int] = {}
    for blob in blobs:
        merge_into(merged, blob)
    return encode(merged)


def merge_bins(blob: bytes | None, bins: Mapping[int, int] | None) -> bytes:
    """The blob of ``blob``'s bins plus ``bins`` (``{bin_key: count}``)."""
    if not bins:
        return blob or EMPTY
    if not blob:
        return encode(bins)
    merged = decode(blob)
    get = merged.get
    for bin_key, count in bins.items():
        merged[bin_key] = get(bin_key, 0) + count
    return encode(merged)


def quantile(bins: Iterable[tuple[int, int]], q: float) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1) of merged ``(bin_key, count)`` pairs; None when empty.

    rank = q × (n − 1); walking keys ascending, the answer is the first bin whose cumulative count
    exceeds rank (so it holds the element at index floor(rank) of the sorted values).
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must be within [0, 1]")
    merged: dict[int, int] = {}
    for bin_key, count in bins:
        if count:
            merged[bin_key] = merged.get(bin_key, 0) + int(count)
    total = sum(merged.values())
    if total == 0:
        return None
    rank = q * (total - 1)
    cumulative = 0
    for bin_key in sorted(merged):
        cumulative += merged[bin_key]
        if cumulative > rank:
            return value(bin_key)
    return value(max(merged))  # pragma: no cover - unreachable: cumulative ends at total > rank


# ---- vectorised reads: many blobs merged at once ---------------------------------------------------

_PAIR_DTYPE = np.dtype([("key", ">i4"), ("count", ">i8")])  # one bin of a blob, as stored
_INT64_MAX = 2**63 - 1
_FLOAT_EXACT = 2.0**53  # integers below it, and their sums below it, are exact in float64
_MAX_SPAN = 1 << 16  # widest key range summed by bincount (1 ms to a year spans under 1,500 keys)
#: Merged bins: ``(keys, counts)``, keys ascending and distinct, counts > 0 (see merge_blobs).
Bins = tuple[np.ndarray, np.ndarray]


def merge_blobs(blobs: Iterable[bytes | None], *, minus: Iterable[bytes | None] = ()) -> Bins:
    """``(keys, counts)`` of the bins of all ``blobs`` merged, less the bins of the ``minus``
    blobs (subtracted rows of a read, each part of a row among ``blobs``): keys ascending and
    distinct (int64), counts their per-key sums (int64, zero sums dropped); two empty arrays when
    no bin is left. The same bins as :func:`merge_into` over every blob, exactly.

    Usually one ``bincount`` over the key range, in float64, which is exact while the counts'
    magnitudes sum below 2**53 (it also keeps the temporaries few: fresh pages for large
    temporaries cost more than the arithmetic); otherwise a sort of all bins with int64 sums, or
    Python integers if a sum could pass 2**63. A bin left negative means the subtracted blobs were
    not part of the others: ValueError.
    """
    pairs, taken = _pairs(blobs), _pairs(minus)
    if len(pairs) + len(taken) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if len(taken):
        stored_keys = np.concatenate((pairs["key"], taken["key"]))
        stored_counts = np.concatenate((pairs["count"], -taken["count"]))
    else:
        stored_keys, stored_counts = pairs["key"], pairs["count"]
    weights = stored_counts.astype(np.float64)
    # every partial sum is exact while the magnitudes sum below 2**53 (stored counts are >= 0)
    magnitude = np.abs(weights).sum() if len(taken) else weights.sum() if weights.min() >= 0 else _FLOAT_EXACT
    merged = _counted(stored_keys.astype(np.int64), weights) if magnitude < _FLOAT_EXACT else None
    if merged is None:
        keys, counts = stored_keys.astype(np.int64), stored_counts.astype(np.int64)
        if int(np.abs(counts).max()) > _INT64_MAX // len(counts):  # a sum could pass 2**63
            counts = counts.astype(object)
        merged = _sorted_sums(keys, counts)
    if len(taken) and (merged[1] < 0).any():
        raise ValueError("subtracted sketch bins exceed the bins they are subtracted from")
    return merged


def _pairs(blobs: Iterable[bytes | None]) -> np.ndarray:
    data = b"".join([blob for blob in blobs if blob])
    if len(data) % PAIR_SIZE:
        raise ValueError(f"sketch blobs of {len(data)} bytes are not a whole number of {PAIR_SIZE}-byte bins")
    return np.frombuffer(data, dtype=_PAIR_DTYPE)


def _counted(keys: np.ndarray, weights: np.ndarray) -> Bins | None:
    """Bins of ``keys`` (modified in place) by ``np.bincount`` of the exact float ``weights``;
    None when the keys span more than _MAX_SPAN. ZERO_KEY bins are counted just below the lowest
    logarithmic key."""
    low, high = int(keys.min()), int(keys.max())
    has_zero = low == ZERO_KEY
    if has_zero:
        zero = keys == ZERO_KEY
        low = int(np.min(keys, where=~zero, initial=high)) - 1
        keys[zero] = low
    if high - low >= _MAX_SPAN:
        return None
    keys -= low
    sums = np.bincount(keys, weights=weights)
    present = np.flatnonzero(sums)
    merged_keys = present + low
    if has_zero and len(present) and present[0] == 0:
        merged_keys[0] = ZERO_KEY
    return merged_keys, sums[present].astype(np.int64)


def _sorted_sums(keys: np.ndarray, counts: np.ndarray) -> Bins:
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    keys, counts = keys[starts], np.add.reduceat(counts, starts)
    nonzero = counts != 0
    return keys[nonzero], counts[nonzero]


def merged_quantiles(merged: Bins, qs: Sequence[float]) -> list[float | None]:
    """The q-quantiles of the ``(keys, counts)`` of :func:`merge_blobs` (counts > 0, keys
    ascending), one per ``q`` in ``qs``: what :func:`quantile` gives for the same bins (the same
    rank = q × (n − 1) and the same first bin whose cumulative count exceeds it). None when empty.
    """
    if any(not 0.0 <= q <= 1.0 for q in qs):
        raise ValueError("q must be within [0, 1]")
    keys, counts = merged
    if len(keys) == 0:
        return [None] * len(qs)
    cumulative = np.cumsum(counts)
    total = int(cumulative[-1])
    # An integer exceeds the float rank exactly when it exceeds floor(rank): compare integers only.
    # Past 2**53 the float rank can round up to n or more: then, as in quantile, the last bin.
    ranks = [min(math.floor(q * (total - 1)), total - 1) for q in qs]
    if cumulative.dtype == object:
        indexes = [next(i for i, c in enumerate(cumulative) if c > rank) for rank in ranks]
    else:
        indexes = np.searchsorted(cumulative, np.array(ranks, dtype=np.int64), side="right").tolist()
    return [value(int(keys[index])) for index in indexes]
