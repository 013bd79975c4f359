"""Apply rules: ticket events → bucketed counters and sketches, exactly once per fact.

A batch is aggregated in memory first (one dict entry per affected row: its counter increments and
its new FRT / resolution bin counts), deduplicated against the ``kpi_counted_*`` tables with one
``INSERT … ON CONFLICT DO NOTHING RETURNING`` per fact kind, and written to
``kpi_ticket_aggregates`` (see ``write``): the stored sketches of the rows that get new bins are
read, merged with the batch's bins in Python, and the rows upserted with ``col = col +
excluded.col`` for the counters and the merged blob for the sketches. On PostgreSQL the rows
travel as column arrays through ``unnest``, on SQLite as an executemany. The round trips per
batch are a handful whatever its size. Nothing here commits: the consumer runner commits the
batch together with its inbox rows.

Attribution is by event time (closed_at, first_response_at, the reopen's occurred_at), with the
dimensions carried by the event's own ticket snapshot, so late or replayed events land in the same
buckets as on first delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from sqlalchemy import Column, MetaData, String, Table, and_, delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import UtcDateTime
from csq_common.events import TicketClosed, TicketEvent, TicketFirstResponded, TicketReopened, TicketSnapshot
from kpi_svc.aggregates import sketch
from kpi_svc.aggregates.buckets import bucket_starts
from kpi_svc.aggregates.store import chunks, claim_new, driver_connection, pg_type, upsert
from kpi_svc.aggregates.dimensions import grouping_keys, stored
from kpi_svc.aggregates.models import (
    COUNTER_COLUMNS,
    CountedClosure,
    CountedFirstResponse,
    CountedReopen,
    SKETCH_COLUMNS,
    TicketAggregate,
)

FRT = "frt"
RESOLUTION = "resolution"
_INDEX = {name: index for index, name in enumerate(COUNTER_COLUMNS)}
_MS = timedelta(milliseconds=1)

RowKey = tuple[str, datetime, str, str, str]  # resolution, bucket_start, team, agent, channel
KEY_COLUMNS = ("resolution", "bucket_start", "team_id", "agent_id", "channel")
METRICS = (FRT, RESOLUTION)  # in the order of SKETCH_COLUMNS


# SQLite only: the keys whose stored sketches a batch reads, joined to the aggregates (SQLite does not
# use the primary key for a row-value ``IN`` list; a join against this table it does). A TEMP table:
# per connection, never in the database file, so not part of the schema or its migrations.
_WANTED = Table(
    "kpi_wanted_rows",
    MetaData(),
    Column("resolution", String),
    Column("bucket_start", UtcDateTime),
    Column("team_id", String),
    Column("agent_id", String),
    Column("channel", String),
)
_CREATE_WANTED = text(
    "CREATE TEMP TABLE IF NOT EXISTS kpi_wanted_rows "
    "(resolution TEXT, bucket_start DATETIME, team_id TEXT, agent_id TEXT, channel TEXT)"
)


def duration_ms(start: datetime, end: datetime) -> int:
    """Whole milliseconds from ``start`` to ``end``; negative (bad CRM clocks) clamps to 0."""
    return max((end - start) // _MS, 0)


def _utc(ts: datetime) -> datetime:
    return ts.astimezone(timezone.utc)


class BatchAggregate:
    """In-memory increments of one batch, keyed by the rows they will be added to."""

    def __init__(self) -> None:
        self.counters: dict[RowKey, list[int]] = {}
        #: (row, metric) → {bin_key: count}: the bins this batch adds to that row's sketch.
        self.bins: dict[tuple[RowKey, str], dict[int, int]] = {}

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
                bins = self.bins.get((row, bin_metric))
                if bins is None:
                    self.bins[(row, bin_metric)] = {bin_key: 1}
                else:
                    bins[bin_key] = bins.get(bin_key, 0) + 1

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

    new_closures = await claim_new(session, CountedClosure.__table__, ("ticket_id", "closed_at"), closures)
    new_first = await claim_new(session, CountedFirstResponse.__table__, ("ticket_id",), [(t,) for t in first_responses])
    new_reopens = await claim_new(session, CountedReopen.__table__, ("ticket_id", "occurred_at"), reopens)

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


async def write(session: AsyncSession, batch: BatchAggregate) -> None:
    """Add the batch's increments to the stored rows.

    1. On PostgreSQL, ``LOCK TABLE … IN SHARE ROW EXCLUSIVE MODE``: writers of the aggregates
       (consumer replicas) take turns for the rest of their transaction, readers are not blocked.
       On SQLite the write transaction already excludes other writers (the dedup claims took it).
       So the stored sketches cannot change between the read below and the upsert.
    2. Read the stored sketches of the rows that get new bins (one statement per chunk of keys).
    3. Upsert those rows (counters added, sketches replaced by stored ∪ new bins), then upsert the
       rows without new bins (counters only, sketches untouched) — rows in key order.
    """
    if not batch.counters:
        return
    table = TicketAggregate.__table__
    postgres = session.bind.dialect.name == "postgresql"
    if postgres:
        await session.execute(text(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE"))
    bins = batch.bins
    sketched: list[tuple[RowKey, list[int]]] = []
    plain: list[tuple] = []
    for row, values in sorted(batch.counters.items()):
        if (row, FRT) in bins or (row, RESOLUTION) in bins:
            sketched.append((row, values))
        else:
            plain.append((*row, *values))
    stored = await _stored_sketches(session, [row for row, _ in sketched]) if sketched else {}
    empty = (sketch.EMPTY,) * len(METRICS)
    merged = []
    for row, values in sketched:
        old = stored.get(row, empty)
        merged.append(
            (*row, *values, *(sketch.merge_bins(blob, bins.get((row, metric))) for blob, metric in zip(old, METRICS)))
        )
    columns = (*KEY_COLUMNS, *COUNTER_COLUMNS, *SKETCH_COLUMNS)
    if merged:
        await upsert(session, table, columns, COUNTER_COLUMNS, SKETCH_COLUMNS, merged)
    if plain:
        await upsert(session, table, columns, COUNTER_COLUMNS, (), [(*row, *empty) for row in plain])


# The stored sketches are read on the driver connection too (see aggregates.store).


_PG_STORED_SKETCHES = (
    f"SELECT {', '.join(f'a.{name}' for name in (*KEY_COLUMNS, *SKETCH_COLUMNS))} "
    f"FROM unnest({', '.join(f'${n}::{pg_type(TicketAggregate.__table__.c[name])}[]' for n, name in enumerate(KEY_COLUMNS, 1))}) "
    f"AS k({', '.join(KEY_COLUMNS)}) "
    f"JOIN {TicketAggregate.__tablename__} a USING ({', '.join(KEY_COLUMNS)})"
)


async def _stored_sketches(session: AsyncSession, keys: list[RowKey]) -> dict[RowKey, tuple[bytes, ...]]:
    """The stored ``(frt_sketch, resolution_sketch)`` of those of ``keys`` that exist."""
    table = TicketAggregate.__table__
    key_columns = [table.c[name] for name in KEY_COLUMNS]
    selected = (*key_columns, *(table.c[name] for name in SKETCH_COLUMNS))
    out: dict[RowKey, tuple[bytes, ...]] = {}
    width = len(KEY_COLUMNS)
    if session.bind.dialect.name == "postgresql":
        driver = await driver_connection(session)
        for chunk in chunks(keys, 20_000):
            for row in await driver.fetch(_PG_STORED_SKETCHES, *(list(values) for values in zip(*chunk))):
                out[tuple(row[:width])] = tuple(row[width:])
        return out
    await session.execute(_CREATE_WANTED)
    await session.execute(delete(_WANTED))
    for chunk in chunks(keys, 20_000):
        await session.execute(insert(_WANTED), [dict(zip(KEY_COLUMNS, key)) for key in chunk])
    statement = select(*selected).join_from(
        _WANTED, table, and_(*(table.c[name] == _WANTED.c[name] for name in KEY_COLUMNS))
    )
    for row in await session.execute(statement):
        out[tuple(row[:width])] = tuple(row[width:])
    await session.execute(delete(_WANTED))
    return out


