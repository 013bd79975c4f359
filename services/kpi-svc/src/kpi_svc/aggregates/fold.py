"""Vectorised roll-up arithmetic (numpy, pure): finest cells → the aggregate rows they are added to.

``fold`` takes one roll-up batch of finest cells (15-minute bucket × stored team, agent, channel)
as columns and gives the distinct aggregate rows they belong to — every resolution × the grouping
sets stored at it (dimensions.TICKET_SETS) — in primary-key order, with the counters summed per
row (int64, exact) and the cells' sketch bins as one array of ``(row, metric, key, count)`` pairs.
``merged_blobs`` adds the stored blobs' bins to those pairs and encodes one blob per row and
metric (sketch.py's format). The same rows, sums and bytes as ``rollup.BatchAggregate`` +
``sketch.merge_bins``, without a Python operation per row × bin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from kpi_svc.aggregates import sketch
from kpi_svc.aggregates.buckets import DAY, HOUR, MONTH, Q15, RESOLUTIONS, floor_to
from kpi_svc.aggregates.dimensions import TICKET_SETS, WILDCARD, GroupingSet

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_QUARTER_SECONDS = 900
#: Resolutions in the order their names sort, so that sorting by code sorts by primary key.
_RESOLUTION_NAMES = tuple(sorted(RESOLUTIONS))
_PAIR_DTYPE = np.dtype([("key", ">i4"), ("count", ">i8")])  # one stored bin (sketch.py)
#: The columns of a row's key, in the order of ``Folded.keys``' tuples.
KEY_COLUMNS = ("resolution", "bucket_start", "team_id", "agent_id", "channel")


@dataclass
class Folded:
    """Distinct aggregate rows of one batch, in primary-key order (resolution, team, agent,
    channel, bucket start), and the batch's sketch bins per row."""

    keys: list[tuple[str, datetime, str, str, str]]
    counters: np.ndarray  # (rows, counters) int64
    #: Bins added by the batch: row index, metric index (0 FRT, 1 resolution), bin key, count.
    bin_rows: np.ndarray
    bin_metrics: np.ndarray
    bin_keys: np.ndarray
    bin_counts: np.ndarray


def _codes(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """``(codes, names, wildcard code)``: codes ordered as the values sort, the wildcard included."""
    names = sorted(set(values) | {WILDCARD})
    index = {name: code for code, name in enumerate(names)}
    return np.fromiter((index[value] for value in values), np.int64, len(values)), np.array(names, dtype=object), index[WILDCARD]


def _bucket_seconds(quarters: Sequence[datetime]) -> dict[str, np.ndarray]:
    """Per resolution, each cell's bucket start as seconds since 1970 (UTC)."""
    distinct = {quarter: int((quarter - _EPOCH).total_seconds()) for quarter in set(quarters)}
    seconds = np.fromiter((distinct[quarter] for quarter in quarters), np.int64, len(quarters))
    quarter = seconds // _QUARTER_SECONDS
    days = quarter // 96
    months = {day: int((floor_to(_EPOCH + timedelta(days=day), MONTH) - _EPOCH).total_seconds()) for day in set(days.tolist())}
    return {
        Q15: quarter * _QUARTER_SECONDS,
        HOUR: quarter // 4 * 3600,
        DAY: days * 86400,
        MONTH: np.fromiter((months[day] for day in days.tolist()), np.int64, len(days)),
    }


def pairs(blobs: Sequence[bytes | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(owner, keys, counts)`` of every bin of ``blobs``: owner is the blob's index."""
    lengths = np.fromiter((len(blob) if blob else 0 for blob in blobs), np.int64, len(blobs))
    if lengths.any() and (lengths % sketch.PAIR_SIZE).any():
        raise ValueError(f"sketch blob not a whole number of {sketch.PAIR_SIZE}-byte bins")
    data = np.frombuffer(b"".join([blob for blob in blobs if blob]), dtype=_PAIR_DTYPE)
    owner = np.repeat(np.arange(len(blobs), dtype=np.int64), lengths // sketch.PAIR_SIZE)
    return owner, data["key"].astype(np.int64), data["count"].astype(np.int64)


def fold(
    quarters: Sequence[datetime], teams: Sequence[str], agents: Sequence[str], channels: Sequence[str],
    counters: np.ndarray, sketches: Sequence[Sequence[bytes | None]],
    layout: dict[str, tuple[GroupingSet, ...]] = TICKET_SETS,
) -> Folded:
    """The rows of the cells ``(quarters[i], teams[i], agents[i], channels[i])`` with their
    ``counters`` (cells × counters, int64) and blobs (``sketches[metric][i]``, none for a table of
    counters only), for the grouping sets ``layout`` stores per resolution."""
    cells = len(quarters)
    team, team_names, any_team = _codes(teams)
    agent, agent_names, any_agent = _codes(agents)
    channel, channel_names, any_channel = _codes(channels)
    starts = _bucket_seconds(quarters)
    targets = [(code, resolution, kept) for code, resolution in enumerate(_RESOLUTION_NAMES) for kept in layout[resolution]]
    width = len(targets) * cells
    columns = np.empty((5, width), np.int64)  # resolution, team, agent, channel, bucket per (target, cell)
    for position, (code, resolution, (keep_team, keep_agent, keep_channel)) in enumerate(targets):
        part = slice(position * cells, (position + 1) * cells)
        columns[0, part] = code
        columns[1, part] = team if keep_team else any_team
        columns[2, part] = agent if keep_agent else any_agent
        columns[3, part] = channel if keep_channel else any_channel
        columns[4, part] = starts[resolution]
    order = np.lexsort(columns[::-1])
    ordered = columns[:, order]
    first = np.ones(width, dtype=bool)
    if width:
        first[1:] = (ordered[:, 1:] != ordered[:, :-1]).any(axis=0)
    row_of = np.empty(width, np.int64)
    row_of[order] = np.cumsum(first) - 1
    heads = np.flatnonzero(first)
    sums = np.add.reduceat(counters[order % cells], heads, axis=0) if width else np.zeros((0, counters.shape[1]), np.int64)
    rows = ordered[:, heads]
    stamps = {second: _EPOCH + timedelta(seconds=second) for second in set(rows[4].tolist())}
    keys = list(
        zip(
            (_RESOLUTION_NAMES[code] for code in rows[0].tolist()),
            (stamps[second] for second in rows[4].tolist()),
            team_names[rows[1]].tolist(),
            agent_names[rows[2]].tolist(),
            channel_names[rows[3]].tolist(),
        )
    )
    row_by_target = row_of.reshape(len(targets), cells)
    bin_rows, bin_metrics, bin_keys, bin_counts = [], [], [], []
    for metric, blobs in enumerate(sketches):
        owner, bin_key, count = pairs(blobs)
        bin_rows.append(row_by_target[:, owner].ravel())
        bin_metrics.append(np.full(len(owner) * len(targets), metric, np.int64))
        bin_keys.append(np.tile(bin_key, len(targets)))
        bin_counts.append(np.tile(count, len(targets)))
    bins = (np.concatenate(part) if part else np.empty(0, np.int64) for part in (bin_rows, bin_metrics, bin_keys, bin_counts))
    return Folded(keys, sums, *bins)


def merged_blobs(
    rows: int, metrics: int, added: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    stored: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> list[list[bytes]]:
    """``blobs[metric][row]``: the bins of ``added`` and ``stored`` (each ``(row, metric, key,
    count)`` arrays) summed per key, encoded as sketch.encode does (keys ascending, zero counts
    dropped); ``b""`` for a row and metric without bins."""
    row, metric, key, count = (np.concatenate(pair) for pair in zip(added, stored))
    # one int64 sort key (row, metric, key): sorting it is several times cheaper than lexsort
    order = np.argsort((row << 33) | (metric << 32) | (key.astype(np.int64) + 2**31))
    row, metric, key, count = row[order], metric[order], key[order], count[order]
    blobs = [[sketch.EMPTY] * rows for _ in range(metrics)]
    if not len(row):
        return blobs
    distinct = np.ones(len(row), dtype=bool)
    distinct[1:] = (row[1:] != row[:-1]) | (metric[1:] != metric[:-1]) | (key[1:] != key[:-1])
    heads = np.flatnonzero(distinct)
    count = np.add.reduceat(count, heads)
    row, metric, key = row[heads], metric[heads], key[heads]
    kept = count != 0
    row, metric, key, count = row[kept], metric[kept], key[kept], count[kept]
    encoded = np.empty(len(row), dtype=_PAIR_DTYPE)
    encoded["key"] = key
    encoded["count"] = count
    data = encoded.tobytes()
    group = np.ones(len(row), dtype=bool)
    group[1:] = (row[1:] != row[:-1]) | (metric[1:] != metric[:-1])
    bounds = np.append(np.flatnonzero(group), len(row)) * sketch.PAIR_SIZE
    for owner, which, start, end in zip(row[group].tolist(), metric[group].tolist(), bounds[:-1].tolist(), bounds[1:].tolist()):
        blobs[which][owner] = data[start:end]
    return blobs
