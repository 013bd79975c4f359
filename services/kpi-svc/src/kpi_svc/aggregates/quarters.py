"""The 15-minute level of the ticket aggregates, packed: a blob per UTC day and grouping-set row (pure).

A 15-minute cell of one team, agent and channel rarely holds more than one or two observations,
so a row per cell would outnumber the closures themselves. Once a UTC day is over, its cells of
one (team, agent, channel) of a grouping set are kept instead in one ``kpi_ticket_quarters`` row
(see pack.py): the day's occupied slots (0-95, the quarter of the day), each slot's counters (COUNTER_COLUMNS)
and each slot's sketch bins, compressed (raw deflate, RFC 1951: mostly zero 64-bit counters
compress well).

Blob, before compression (``b""`` for a day without cells):

- a header: format version, counters per slot, sketch metrics, slots (one unsigned byte each);
- the slots, ascending (one byte each);
- per sketch metric (FRT, resolution): the bin offsets, slots + 1 little-endian uint32 (the bins
  of the i-th slot are the bins from offset i to offset i + 1);
- the counters, slots × counters little-endian int64;
- per sketch metric, the slots' bins one after the other in sketch.py's stored form, so that the
  bytes of any run of slots are a sketch blob of their bins (repeated keys and all:
  sketch.merge_blobs adds them).

A read of a few slots unpacks only those (``Day.span``, ``sums``, ``sketches``). A blob written
with fewer counters per slot than a reader asks for reads as if the missing trailing counters
were 0, so adding a counter column needs no rewrite of the stored days.
"""

from __future__ import annotations

import struct
import zlib
from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime, timedelta

from kpi_svc.aggregates import sketch

VERSION = 1
SLOTS_PER_DAY = 96
SLOT = timedelta(minutes=15)
_HEADER = struct.Struct("<BBBB")
_U32 = struct.Struct("<I")
_PAIR = sketch.PAIR_SIZE
#: Deflate level 1 with a 4 KiB window and little memory: a day is a few KiB at most, and zlib's
#: default state (a quarter of a MiB, allocated per call) costs more than compressing it (the
#: roll-up re-packs every day it touches).
_LEVEL, _WINDOW_BITS, _MEMORY_LEVEL = 1, 12, 2
EMPTY = b""
#: One cell of a day: its slot, its counters, its sketch blob per metric.
Cell = tuple[int, Sequence[int], Sequence[bytes]]


def slot_of(quarter: datetime, day: datetime) -> int:
    """The slot (0-95) of the 15-minute bucket starting at ``quarter`` in the day starting at ``day``."""
    return (quarter - day) // SLOT


def encode(cells: Sequence[Cell]) -> bytes:
    """The blob of one day's ``cells`` (slots ascending and distinct, the same number of counters
    and of sketch metrics each). Cells whose counters and sketches are all empty are left out;
    ``b""`` when none is left."""
    kept = [cell for cell in cells if any(cell[1]) or any(cell[2])]
    if not kept:
        return EMPTY
    width, metrics = len(kept[0][1]), len(kept[0][2])
    slots = bytes(slot for slot, _, _ in kept)  # ValueError beyond 0-255
    if slots[-1] >= SLOTS_PER_DAY or any(a >= b for a, b in zip(slots, slots[1:])):
        raise ValueError("slots must be distinct, ascending and within 0-95")
    parts = [_HEADER.pack(VERSION, width, metrics, len(kept)), slots]
    for metric in range(metrics):
        offsets, total = [0], 0
        for _, _, blobs in kept:
            total += len(blobs[metric]) // sketch.PAIR_SIZE
            offsets.append(total)
        parts.append(struct.pack(f"<{len(offsets)}I", *offsets))
    parts.append(struct.pack(f"<{len(kept) * width}q", *(amount for _, counters, _ in kept for amount in counters)))
    for metric in range(metrics):
        parts.extend(blobs[metric] for _, _, blobs in kept)
    packer = zlib.compressobj(_LEVEL, zlib.DEFLATED, -_WINDOW_BITS, _MEMORY_LEVEL)
    return packer.compress(b"".join(parts)) + packer.flush()


class Day:
    """One decoded blob: its slots and, unpacked on demand, counters and bins of runs of them."""

    __slots__ = ("_data", "slots", "width", "metrics", "_offsets_at", "_counters_at", "_pairs_at")

    def __init__(self, blob: bytes) -> None:
        data = self._data = zlib.decompress(blob, -15)  # raw deflate, any window up to 32 KiB
        version, width, metrics, count = _HEADER.unpack_from(data)
        if version != VERSION:
            raise ValueError(f"quarters blob of version {version}: not readable here")
        at = _HEADER.size
        self.slots, self.width, self.metrics = data[at : at + count], width, metrics
        at += count
        self._offsets_at = [at + metric * (count + 1) * 4 for metric in range(metrics)]
        at += metrics * (count + 1) * 4
        self._counters_at = at
        at += count * width * 8
        self._pairs_at = []
        for metric in range(metrics):
            self._pairs_at.append(at)
            at += self._offset(metric, count) * sketch.PAIR_SIZE
        if at != len(data):
            raise ValueError("quarters blob is not as long as its header says")

    def _offset(self, metric: int, index: int) -> int:
        return _U32.unpack_from(self._data, self._offsets_at[metric] + 4 * index)[0]

    def span(self, first: int, end: int) -> tuple[int, int]:
        """``(i, j)``: the slots in ``[first, end)`` are those at indexes ``i`` to ``j - 1``."""
        return bisect_left(self.slots, first), bisect_left(self.slots, end)

    def sums(self, i: int, j: int, width: int) -> list[int]:
        """The counters of the slots at indexes ``[i, j)`` summed, padded with zeros to ``width``."""
        stored = self.width
        if stored > width:
            raise ValueError(f"quarters blob with {stored} counters per slot: {width} expected")
        values = struct.unpack_from(f"<{(j - i) * stored}q", self._data, self._counters_at + i * stored * 8)
        sums = list(values) if j - i == 1 else [sum(values[k::stored]) for k in range(stored)]
        return sums + [0] * (width - stored) if stored < width else sums

    def sketches(self, i: int, j: int) -> list[bytes]:
        """Per metric, the sketch blob of every bin of the slots at indexes ``[i, j)``."""
        blobs = []
        for metric in range(self.metrics):
            at = self._pairs_at[metric]
            blobs.append(self._data[at + self._offset(metric, i) * _PAIR : at + self._offset(metric, j) * _PAIR])
        return blobs

    def cells(self, width: int) -> list[Cell]:
        """Every cell, counters padded to ``width``: what :func:`encode` was given, empty cells left out."""
        return [(slot, self.sums(i, i + 1, width), self.sketches(i, i + 1)) for i, slot in enumerate(self.slots)]


def decode(blob: bytes | None) -> Day | None:
    """The day of a blob made by :func:`encode`; ``None`` for an empty blob."""
    return Day(blob) if blob else None


# ---- reads: the packed cells of a day within a read's 15-minute ranges --------------------------

DAY_LENGTH = timedelta(days=1)
#: A run of slots ``[first, end)`` of one day and the start of its first slot.
Span = tuple[int, int, datetime]


def spans(day: datetime, ranges: Sequence[tuple[datetime, datetime]], cuts: Sequence[datetime] = ()) -> list[Span]:
    """The runs of slots of ``day`` inside the ``ranges`` (``[start, end)`` each, on 15-minute
    boundaries, in time order), split at the ``cuts`` (a read's bucket boundaries), so that each
    run lies in one bucket."""
    day_end = day + DAY_LENGTH
    inner = sorted(cut for cut in cuts if day < cut < day_end)
    runs: list[Span] = []
    for start, end in ranges:
        start, end = max(start, day), min(end, day_end)
        if start >= end:
            continue
        for cut in [*(c for c in inner if start < c < end), end]:
            runs.append((slot_of(start, day), slot_of(cut, day), start))
            start = cut
    return runs


def unpacked(blob: bytes, runs: Sequence[Span], width: int) -> list[tuple[datetime, list[int], list[bytes]]]:
    """``(start of the run, counters summed, sketch blob per metric)`` of each run of ``runs``
    holding a packed cell of ``blob``."""
    day = Day(blob)
    found = []
    for first, end, start in runs:
        i, j = day.span(first, end)
        if i < j:
            found.append((start, day.sums(i, j, width), day.sketches(i, j)))
    return found
