"""Apply rules: ticket events → bucketed counters and sketch bins, exactly once per fact.

A batch is aggregated in memory first (one dict entry per affected row), deduplicated against the
``kpi_counted_*`` tables with one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` per fact kind, and
written with one upsert per table (``col = col + excluded.col``; on PostgreSQL the rows travel as
column arrays through ``unnest``, on SQLite as an executemany). The round trips per batch are a
handful whatever its size. Nothing here commits: the consumer runner commits the batch
together with its inbox rows.

Attribution is by event time (closed_at, first_response_at, the reopen's occurred_at), with the
dimensions carried by the event's own ticket snapshot, so late or replayed events land in the same
buckets as on first delivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import TicketClosed, TicketEvent, TicketFirstResponded, TicketReopened, TicketSnapshot
from kpi_svc.aggregates import sketch
from kpi_svc.aggregates.buckets import bucket_starts
from kpi_svc.aggregates.dimensions import grouping_keys, stored
from kpi_svc.aggregates.models import (
    COUNTER_COLUMNS,
    CountedClosure,
    CountedFirstResponse,
    CountedReopen,
    SketchBin,
    TicketAggregate,
)

FRT = "frt"
RESOLUTION = "resolution"
_INDEX = {name: index for index, name in enumerate(COUNTER_COLUMNS)}
_MS = timedelta(milliseconds=1)
# Rows per statement: keeps multi-row statements under both drivers' bound-parameter limits.
_CHUNK = 2000

RowKey = tuple[str, datetime, str, str, str]  # resolution, bucket_start, team, agent, channel


def duration_ms(start: datetime, end: datetime) -> int:
    """Whole milliseconds from ``start`` to ``end``; negative (bad CRM clocks) clamps to 0."""
    return max((end - start) // _MS, 0)


def _utc(ts: datetime) -> datetime:
    return ts.astimezone(timezone.utc)


class BatchAggregate:
    """In-memory increments of one batch, keyed by the rows they will be added to."""

    def __init__(self) -> None:
        self.counters: dict[RowKey, list[int]] = {}
        self.bins: dict[tuple[RowKey, str, int], int] = {}

    def _rows(self, at: datetime, ticket: TicketSnapshot) -> list[RowKey]:
        dims = grouping_keys(stored(ticket.team_id), stored(ticket.agent_id), stored(ticket.channel))
        return [(resolution, start, *dim) for resolution, start in bucket_starts(at) for dim in dims]

    def add(self, at: datetime, ticket: TicketSnapshot, increments: dict[str, int], bin_metric: str | None = None, bin_ms: int = 0) -> None:
        positions = [(_INDEX[name], amount) for name, amount in increments.items() if amount]
        bin_key = sketch.key(bin_ms / 1000) if bin_metric else None
        for row in self._rows(at, ticket):
            counters = self.counters.get(row)
            if counters is None:
                counters = self.counters[row] = [0] * len(COUNTER_COLUMNS)
            for index, amount in positions:
                counters[index] += amount
            if bin_metric:
                bin_row = (row, bin_metric, bin_key)
                self.bins[bin_row] = self.bins.get(bin_row, 0) + 1

    def add_closure(self, ticket: TicketSnapshot, closed_at: datetime) -> None:
        resolution_ms = duration_ms(ticket.created_at, ticket.resolved_at or closed_at)
        handle = ticket.handle_seconds
        self.add(
            closed_at,
            ticket,
            {
                "closures": 1,
                "resolution_count": 1,
                "resolution_sum_ms": resolution_ms,
                "aht_count": 0 if handle is None else 1,
                "aht_sum_ms": 0 if handle is None else round(handle * 1000),
                "fcr_count": int(ticket.contact_count == 1 and ticket.reopen_count == 0),
            },
            bin_metric=RESOLUTION,
            bin_ms=resolution_ms,
        )

    def add_first_response(self, ticket: TicketSnapshot, responded_at: datetime) -> None:
        frt_ms = duration_ms(ticket.created_at, responded_at)
        self.add(responded_at, ticket, {"frt_count": 1, "frt_sum_ms": frt_ms}, bin_metric=FRT, bin_ms=frt_ms)

    def add_reopen(self, ticket: TicketSnapshot, occurred_at: datetime) -> None:
        self.add(occurred_at, ticket, {"reopens": 1})


async def apply_ticket_events(session: AsyncSession, events: Sequence[TicketEvent]) -> None:
    """Count the closures, first responses and reopens among ``events`` not counted before.

    - closure: distinct (ticket id, closed_at); ``closed_at`` missing on a ``ticket.closed`` falls
      back to the event's ``occurred_at``;
    - first response: once per ticket id, at ``first_response_at`` (else ``occurred_at``);
    - reopen: distinct (ticket id, occurred_at).
    Other ticket event types carry no KPI fact yet and are ignored.
    """
    closures: dict[tuple[str, datetime], TicketEvent] = {}
    first_responses: dict[str, TicketEvent] = {}
    reopens: dict[tuple[str, datetime], TicketEvent] = {}
    for event in events:  # first occurrence in the batch wins, as it would across batches
        ticket = event.ticket
        if isinstance(event, TicketClosed):
            closures.setdefault((ticket.id, _utc(ticket.closed_at or event.occurred_at)), event)
        elif isinstance(event, TicketFirstResponded):
            first_responses.setdefault(ticket.id, event)
        elif isinstance(event, TicketReopened):
            reopens.setdefault((ticket.id, _utc(event.occurred_at)), event)

    new_closures = await _claim(session, CountedClosure.__table__, ("ticket_id", "closed_at"), closures)
    new_first = await _claim(session, CountedFirstResponse.__table__, ("ticket_id",), [(t,) for t in first_responses])
    new_reopens = await _claim(session, CountedReopen.__table__, ("ticket_id", "occurred_at"), reopens)

    batch = BatchAggregate()
    for key, event in closures.items():
        if key in new_closures:
            batch.add_closure(event.ticket, key[1])
    for ticket_id, event in first_responses.items():
        if (ticket_id,) in new_first:
            ticket = event.ticket
            batch.add_first_response(ticket, _utc(ticket.first_response_at or event.occurred_at))
    for key, event in reopens.items():
        if key in new_reopens:
            batch.add_reopen(event.ticket, key[1])
    await write(session, batch)


def _insert(session: AsyncSession):
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _claim(session: AsyncSession, table: Table, columns: tuple[str, ...], keys: Iterable[tuple]) -> set[tuple]:
    """Insert ``keys`` into a dedup table; return those that were not there yet."""
    rows = sorted(set(keys))
    if not rows:
        return set()
    insert = _insert(session)
    claimed: set[tuple] = set()
    returning = [table.c[name] for name in columns]
    for chunk in _chunks(rows, 5000):
        statement = (
            insert(table)
            .values([dict(zip(columns, row)) for row in chunk])
            .on_conflict_do_nothing()
            .returning(*returning)
        )
        claimed.update(tuple(row) for row in await session.execute(statement))
    return claimed


async def write(session: AsyncSession, batch: BatchAggregate) -> None:
    """Add the batch's increments to the stored rows, in key order (so two writers lock shared rows
    in the same order and do not deadlock)."""
    if batch.counters:
        await _add_to_rows(
            session,
            TicketAggregate.__table__,
            ("resolution", "bucket_start", "team_id", "agent_id", "channel", *COUNTER_COLUMNS),
            COUNTER_COLUMNS,
            [(*key, *values) for key, values in sorted(batch.counters.items())],
        )
    if batch.bins:
        await _add_to_rows(
            session,
            SketchBin.__table__,
            ("resolution", "bucket_start", "team_id", "agent_id", "channel", "metric", "bin_key", "count"),
            ("count",),
            [(*key, metric, bin_key, count) for (key, metric, bin_key), count in sorted(batch.bins.items())],
        )


async def _add_to_rows(
    session: AsyncSession, table: Table, columns: tuple[str, ...], added: tuple[str, ...], rows: list[tuple]
) -> None:
    """``INSERT … ON CONFLICT (pk) DO UPDATE SET col = table.col + excluded.col`` for ``rows``.

    PostgreSQL gets one statement per chunk whose rows travel as one array per column
    (``SELECT … FROM unnest(…)``): a constant, cached statement and a single round trip. SQLite
    (in process, no round trips) gets an executemany of the same upsert.
    """
    if session.bind.dialect.name == "postgresql":
        arrays = [
            bindparam(f"p_{name}", type_=postgresql.ARRAY(table.c[name].type)) for name in columns
        ]
        source = select(func.unnest(*arrays).table_valued(*columns).render_derived())
        statement = pg_insert(table).from_select(list(columns), source)
        statement = statement.on_conflict_do_update(
            index_elements=list(table.primary_key.columns.keys()),
            set_={name: table.c[name] + statement.excluded[name] for name in added},
        )
        for chunk in _chunks(rows, 20_000):
            await session.execute(statement, {f"p_{name}": list(values) for name, values in zip(columns, zip(*chunk))})
        return
    statement = sqlite_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns.keys()),
        set_={name: table.c[name] + statement.excluded[name] for name in added},
    )
    for chunk in _chunks(rows):
        await session.execute(statement, [dict(zip(columns, row)) for row in chunk])
