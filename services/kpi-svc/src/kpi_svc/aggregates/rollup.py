"""Roll-up: pending deltas → the aggregates at every resolution and grouping set.

``fold_pending`` takes up to ``limit`` rows of ``kpi_ticket_deltas`` (``DELETE … RETURNING``, on
PostgreSQL ``FOR UPDATE SKIP LOCKED`` so replicas take disjoint rows), adds each delta to its rows
in ``kpi_ticket_aggregates`` — 4 resolutions (15 minutes, hour, day, month) × the grouping sets
stored at each (dimensions.TICKET_SETS), counters summed, sketch bins merged, all at once with
numpy (aggregates.fold) — and writes them (see ``write``) in the same transaction. A
delta is in exactly one of the two tables at any commit, and a read takes both in one statement
(one snapshot), so a roll-up never makes a KPI move. ``RollupWorker`` runs it in the background.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import structlog
from prometheus_client import Gauge
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common import sql
from csq_common.db import transaction
from csq_common.worker import PollingWorker
from kpi_svc.aggregates import fold, sketch
from kpi_svc.aggregates.fold import KEY_COLUMNS
from kpi_svc.aggregates.buckets import bucket_starts
from kpi_svc.aggregates.dimensions import TICKET_SETS, GroupingSet, keys_of
from kpi_svc.aggregates.models import COUNTER_COLUMNS, SKETCH_COLUMNS, TicketAggregate, TicketDelta

log = structlog.get_logger(__name__)

ROLLUP_BACKLOG = Gauge("csq_kpi_rollup_backlog", "Ticket KPI deltas committed but not yet rolled up into the aggregates")

FRT = "frt"
RESOLUTION = "resolution"
METRICS = (FRT, RESOLUTION)  # in the order of SKETCH_COLUMNS
RowKey = tuple[str, datetime, str, str, str]  # resolution, bucket_start, team, agent, channel


class BatchAggregate:
    """In-memory increments of deltas, keyed by the aggregate rows they will be added to: the
    reference form of ``fold.fold`` (one Python operation per row and bin), used where a few rows
    are compared (rebuild.compare, the read benchmark's seeding check)."""

    def __init__(self, layout: dict[str, tuple[GroupingSet, ...]] = TICKET_SETS) -> None:
        #: The grouping sets stored per resolution (a migration test folds the previous layout too).
        self.layout = layout
        self.counters: dict[RowKey, list[int]] = {}
        #: (row, metric) → {bin_key: count}: the bins this roll-up adds to that row's sketch.
        self.bins: dict[tuple[RowKey, str], dict[int, int]] = {}

    def add_cell(
        self, quarter: datetime, team: str, agent: str, channel: str, counters: list[int] | tuple[int, ...],
        frt_bins: dict[int, int], resolution_bins: dict[int, int],
    ) -> None:
        """Add one finest cell (a 15-minute bucket of stored dims) to every row it belongs to."""
        positions = [(index, amount) for index, amount in enumerate(counters) if amount]
        sketches = [(metric, bins) for metric, bins in ((FRT, frt_bins), (RESOLUTION, resolution_bins)) if bins]
        for resolution, start in bucket_starts(quarter):
            for dim in keys_of(self.layout[resolution], team, agent, channel):
                row = (resolution, start, *dim)
                totals = self.counters.get(row)
                if totals is None:
                    totals = self.counters[row] = [0] * len(COUNTER_COLUMNS)
                for index, amount in positions:
                    totals[index] += amount
                for metric, bins in sketches:
                    target = self.bins.get((row, metric))
                    if target is None:
                        self.bins[(row, metric)] = dict(bins)
                    else:
                        for bin_key, count in bins.items():
                            target[bin_key] = target.get(bin_key, 0) + count


async def fold_pending(session: AsyncSession, *, limit: int = 20_000) -> int:
    """Move up to ``limit`` pending deltas into the aggregates (in the caller's transaction);
    returns how many were moved."""
    table = TicketDelta.__table__
    oldest = sql.skip_locked(select(table.c.id).order_by(table.c.id).limit(limit))
    statement = (
        delete(table)
        .where(table.c.id.in_(oldest.scalar_subquery()))
        .returning(
            table.c.bucket_start, table.c.team_id, table.c.agent_id, table.c.channel,
            *(table.c[name] for name in (*COUNTER_COLUMNS, *SKETCH_COLUMNS)),
        )
    )
    deltas = (await session.execute(statement)).all()
    if not deltas:
        return 0
    width = len(COUNTER_COLUMNS)
    columns = list(zip(*deltas))
    counters = np.array([row[4 : 4 + width] for row in deltas], dtype=np.int64).reshape(len(deltas), width)
    folded = fold.fold(columns[0], columns[1], columns[2], columns[3], counters, columns[4 + width :])
    await write(session, folded)
    return len(deltas)


async def backlog(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(TicketDelta.__table__))


class RollupWorker(PollingWorker):
    """Folds pending deltas every ``poll_seconds``, at once again while a full batch came back."""

    name = "kpi-rollup"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, batch_size: int, poll_seconds: float) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self._sessions = sessions
        self._batch_size = batch_size

    async def work_once(self) -> bool:
        async with transaction(self._sessions) as session:
            moved = await fold_pending(session, limit=self._batch_size)
            remaining = await backlog(session)  # in the same transaction: its write lock is held anyway
        # every round, so that a backlog that never drains shows (and alerts) while it lasts
        ROLLUP_BACKLOG.set(remaining)
        if moved:
            log.debug("kpi.rolled_up", deltas=moved)
        return moved == self._batch_size


async def write(session: AsyncSession, folded: fold.Folded) -> None:
    """Add the folded increments to the stored rows.

    1. Lock out other writers of the aggregates (roll-ups of several replicas take turns for the
       rest of their transaction; readers are not blocked), so the stored sketches cannot change
       between the read below and the upsert.
    2. Read the stored sketches of the rows that get new bins (one statement per chunk of keys).
    3. Upsert those rows (counters added, sketches replaced by stored ∪ new bins), then upsert the
       rows without new bins (counters only, sketches untouched) — rows in key order.
    """
    keys = folded.keys
    if not keys:
        return
    table = TicketAggregate.__table__
    await sql.lock_out_other_writers(session, table)
    has_bins = np.zeros(len(keys), dtype=bool)
    has_bins[folded.bin_rows] = True
    sketched = np.flatnonzero(has_bins).tolist()
    stored = await sql.rows_by_keys(session, table, KEY_COLUMNS, SKETCH_COLUMNS, [keys[index] for index in sketched])
    stored_rows, stored_blobs = [], [[] for _ in METRICS]
    for index in sketched:
        blobs = stored.get(keys[index])
        if blobs is not None:
            stored_rows.append(index)
            for metric, blob in enumerate(blobs):
                stored_blobs[metric].append(blob)
    stored_pairs = []
    for metric, blobs in enumerate(stored_blobs):
        owner, bin_keys, counts = fold.pairs(blobs)
        stored_pairs.append((np.asarray(stored_rows, dtype=np.int64)[owner], np.full(len(owner), metric, np.int64), bin_keys, counts))
    merged = fold.merged_blobs(
        len(keys), len(METRICS),
        (folded.bin_rows, folded.bin_metrics, folded.bin_keys, folded.bin_counts),
        tuple(np.concatenate(part) for part in zip(*stored_pairs)),
    )
    columns = (*KEY_COLUMNS, *COUNTER_COLUMNS, *SKETCH_COLUMNS)
    key_arrays = [np.array(values, dtype=object) for values in zip(*keys)]
    blob_arrays = [np.array(blobs, dtype=object) for blobs in merged]
    for rows, replaced in ((np.flatnonzero(has_bins), SKETCH_COLUMNS), (np.flatnonzero(~has_bins), ())):
        if len(rows):  # the rows with new bins get their merged sketches; the others keep theirs
            arrays = [values[rows].tolist() for values in key_arrays] + folded.counters[rows].T.tolist()
            arrays += [values[rows].tolist() for values in blob_arrays]
            await sql.add_columns_to_counters(session, table, columns, arrays, added=COUNTER_COLUMNS, replaced=replaced)
