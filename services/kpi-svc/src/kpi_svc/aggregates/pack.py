"""Packing: the 15-minute rows of a UTC day that has ended → one blob per row of a grouping set.

Each round takes the oldest day that still has 15-minute rows and ended before the cut-off, and,
in one transaction, merges the rows of that day of each (team, agent, channel) of a grouping set
into its ``kpi_ticket_quarters`` blob (quarters.py; cells already packed there are added to) and
deletes the rows. It holds the aggregates' writer lock, as the roll-up does, so no 15-minute row
of the day changes meanwhile. A read takes the rows and the blobs in one statement, so a KPI
never moves while a day is packed. A late event for a packed day writes a 15-minute row again,
and a later round packs it too.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import structlog
from prometheus_client import Gauge
from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common import sql
from csq_common.db import transaction
from csq_common.worker import PollingWorker
from kpi_svc.aggregates import quarters, sketch
from kpi_svc.aggregates.buckets import DAY, Q15, floor_to
from kpi_svc.aggregates.models import COUNTER_COLUMNS, SKETCH_COLUMNS, TicketAggregate, TicketQuarters

log = structlog.get_logger(__name__)

QUARTER_KEYS = ("bucket_start", "team_id", "agent_id", "channel")  # kpi_ticket_quarters' primary key
#: 15-minute rows read into memory at once while packing: whole teams, a bigger team's agents split
#: into chunks of their own (whole agents, at most AGENTS_PER_CHUNK of them a statement).
ROWS_PER_CHUNK = 50_000
AGENTS_PER_CHUNK = 500
PACK_BACKLOG = Gauge(
    "csq_kpi_pack_backlog_seconds",
    "Seconds from the start of the oldest UTC day due for packing that still has 15-minute ticket rows to the packing cut-off (0: none waiting)",
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


async def pack_next_day(session: AsyncSession, *, before: datetime, rows_per_chunk: int = ROWS_PER_CHUNK) -> int:
    """Pack the 15-minute rows of the oldest UTC day ending at or before ``before`` that has any
    (in the caller's transaction), in chunks of about ``rows_per_chunk`` rows (whole teams, the
    coarse sets' wildcard team one more; a team above it, whole agents), so that memory holds a
    chunk, not the day; how many rows were packed (0: none left). A packed blob belongs to one
    (team, agent, channel), so every chunk holds all the rows of its blobs."""
    table = TicketAggregate.__table__
    await sql.lock_out_other_writers(session, table)
    day = await oldest_day_waiting(session, before=before)
    if day is None:
        return 0
    in_day = and_(table.c.resolution == Q15, table.c.bucket_start >= day, table.c.bucket_start < day + timedelta(days=1))
    per_team = (await session.execute(select(table.c.team_id, func.count()).where(in_day).group_by(table.c.team_id))).all()
    packed = 0
    small = [(team, count) for team, count in sorted(per_team) if count <= rows_per_chunk]
    for teams in _chunks(small, rows_per_chunk, len(small)):
        packed += await _pack_rows(session, day, and_(in_day, table.c.team_id.in_(teams)))
    for team in sorted(team for team, count in per_team if count > rows_per_chunk):
        in_team = and_(in_day, table.c.team_id == team)
        per_agent = (await session.execute(select(table.c.agent_id, func.count()).where(in_team).group_by(table.c.agent_id))).all()
        for agents in _chunks(sorted(per_agent), rows_per_chunk, AGENTS_PER_CHUNK):
            packed += await _pack_rows(session, day, and_(in_team, table.c.agent_id.in_(agents)))
    await session.execute(delete(table).where(in_day))
    return packed


def _chunks(counted: list[tuple[str, int]], rows: int, names: int) -> list[list[str]]:
    """The names of ``(name, row count)`` in runs of about ``rows`` rows and at most ``names`` names
    (a name with more rows than that is a run of its own)."""
    chunks: list[list[str]] = []
    size = 0
    for name, count in counted:
        if not chunks or size + count > rows or len(chunks[-1]) >= names:
            chunks.append([])
            size = 0
        chunks[-1].append(name)
        size += count
    return chunks


async def _pack_rows(session: AsyncSession, day: datetime, clause) -> int:
    """Merge the 15-minute rows of ``day`` matching ``clause`` into their packed blobs; how many."""
    table = TicketAggregate.__table__
    width = len(COUNTER_COLUMNS)
    rows = (
        await session.execute(
            select(
                table.c.team_id, table.c.agent_id, table.c.channel, table.c.bucket_start,
                *(table.c[name] for name in (*COUNTER_COLUMNS, *SKETCH_COLUMNS)),
            ).where(clause)
        )
    ).all()
    cells: dict[tuple, list] = {}
    for row in rows:
        cell = (quarters.slot_of(row[3], day), row[4 : 4 + width], row[4 + width :])
        cells.setdefault((day, row[0], row[1], row[2]), []).append(cell)
    keys = sorted(cells)
    packed = TicketQuarters.__table__
    stored = await sql.rows_by_keys(session, packed, QUARTER_KEYS, ("quarters",), keys)
    blobs = [(*key, merged_cells(stored.get(key, (None,))[0], cells[key])) for key in keys]
    await sql.add_to_counters(session, packed, (*QUARTER_KEYS, "quarters"), blobs, added=(), replaced=("quarters",))
    return len(rows)


async def oldest_day_waiting(session: AsyncSession, *, before: datetime) -> datetime | None:
    """The oldest UTC day ending at or before ``before`` that still has 15-minute rows."""
    table = TicketAggregate.__table__
    oldest = await session.scalar(
        select(func.min(table.c.bucket_start)).where(table.c.resolution == Q15, table.c.bucket_start < before)
    )
    if oldest is None:
        return None
    day = floor_to(oldest, DAY)
    return day if day + timedelta(days=1) <= before else None


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
            waiting = await oldest_day_waiting(session, before=before)
        PACK_BACKLOG.set(0 if waiting is None else (before - waiting).total_seconds())
        if packed:
            log.debug("kpi.packed_day", rows=packed)
        return packed > 0
