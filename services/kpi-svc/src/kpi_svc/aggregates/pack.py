"""Packing: the 15-minute rows of a UTC day that has ended → its full day rows' ``quarters``.

Each round takes the oldest day that still has 15-minute rows and ended before the cut-off, and,
in one transaction, merges each full cell's rows of that day into the ``quarters`` blob of the
cell's day row (quarters.py; cells already packed there are added to) and deletes the rows. A
read takes the rows and the blobs in one statement, so a KPI never moves while a day is packed.
A late event for a packed day writes a 15-minute row again, and a later round packs it too.
The roll-up writes every day row a 15-minute row belongs to in the same transaction as the row,
so the day row is always there to pack into.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import structlog
from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common import sql
from csq_common.db import transaction
from csq_common.worker import PollingWorker
from kpi_svc.aggregates import quarters, sketch
from kpi_svc.aggregates.buckets import DAY, Q15, floor_to
from kpi_svc.aggregates.models import COUNTER_COLUMNS, SKETCH_COLUMNS, TicketAggregate
from kpi_svc.aggregates.rollup import KEY_COLUMNS

log = structlog.get_logger(__name__)

QUARTERS = "quarters"
_TABLE = TicketAggregate.__table__
#: One day row's packed cells replaced (executed for many rows at once).
_UPDATE_QUARTERS = (
    update(_TABLE)
    .where(*(_TABLE.c[name] == bindparam(f"k_{name}") for name in KEY_COLUMNS))
    .values(quarters=bindparam("v_quarters"))
)


def merged_cells(stored: bytes | None, rows: list) -> bytes:
    """The blob of the cells packed in ``stored`` plus ``rows`` (``(slot, counters, blobs)`` each,
    slots distinct): counters added and sketch bins merged per slot."""
    width = len(COUNTER_COLUMNS)
    cells = {slot: (counters, blobs) for slot, counters, blobs in (quarters.decode(stored).cells(width) if stored else ())}
    for slot, counters, blobs in rows:
        packed = cells.get(slot)
        if packed is None:
            cells[slot] = (list(counters), list(blobs))
        else:
            cells[slot] = (
                [a + b for a, b in zip(packed[0], counters)],
                [sketch.merge(old, new) for old, new in zip(packed[1], blobs)],
            )
    return quarters.encode([(slot, *cells[slot]) for slot in sorted(cells)])


async def pack_next_day(session: AsyncSession, *, before: datetime) -> int:
    """Pack the 15-minute rows of the oldest UTC day ending at or before ``before`` that has any
    (in the caller's transaction); how many rows were packed (0: none left)."""
    table = TicketAggregate.__table__
    await sql.lock_out_other_writers(session, table)
    oldest = await session.scalar(
        select(func.min(table.c.bucket_start)).where(table.c.resolution == Q15, table.c.bucket_start < before)
    )
    if oldest is None:
        return 0
    day = floor_to(oldest, DAY)
    if day + timedelta(days=1) > before:
        return 0
    in_day = and_(table.c.resolution == Q15, table.c.bucket_start >= day, table.c.bucket_start < day + timedelta(days=1))
    width = len(COUNTER_COLUMNS)
    rows = (
        await session.execute(
            select(
                table.c.team_id, table.c.agent_id, table.c.channel, table.c.bucket_start,
                *(table.c[name] for name in (*COUNTER_COLUMNS, *SKETCH_COLUMNS)),
            ).where(in_day)
        )
    ).all()
    cells: dict[tuple, list] = {}
    for row in rows:
        key = (DAY, day, row[0], row[1], row[2])
        cells.setdefault(key, []).append((quarters.slot_of(row[3], day), row[4 : 4 + width], row[4 + width :]))
    keys = sorted(cells)
    stored = await sql.rows_by_keys(session, table, KEY_COLUMNS, (QUARTERS,), keys)
    missing = [key for key in keys if key not in stored]
    if missing:  # the roll-up writes both in one transaction: never expected
        raise RuntimeError(f"{len(missing)} day rows to pack into are missing, e.g. {missing[0]}")
    await session.execute(
        _UPDATE_QUARTERS,
        [{**{f"k_{name}": value for name, value in zip(KEY_COLUMNS, key)}, "v_quarters": merged_cells(stored[key][0], cells[key])} for key in keys],
    )
    await session.execute(delete(table).where(in_day))
    return len(rows)


class PackWorker(PollingWorker):
    """Packs, every ``poll_seconds``, the days that ended more than ``after`` ago (a day a round,
    at once again while days are left)."""

    name = "kpi-pack"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, poll_seconds: float, after: timedelta) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self._sessions = sessions
        self._after = after

    async def work_once(self) -> bool:
        before = floor_to(datetime.now(timezone.utc) - self._after, DAY)
        async with transaction(self._sessions) as session:
            packed = await pack_next_day(session, before=before)
        if packed:
            log.debug("kpi.packed_day", rows=packed)
        return packed > 0
