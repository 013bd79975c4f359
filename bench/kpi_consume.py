"""KPI consumption: ticket events per second applied by kpi-svc's consumer path (ConsumerRunner with
``kpi_svc.consumers.handle_events``: msgspec decode of envelope and payload against the contract's
mirror, inbox claim, dedup claims, pending-delta insert, one transaction per batch, Kafka offsets
committed after it) ÷ a raw aiokafka
consumer that only reads the same records from the same broker and decodes each value with
orjson.loads. Both are timed from the first batch's arrival (the consumer group join, ~3 s, is
not counted) until all N records are applied / read (for the runner: DB committed AND offsets
committed). One line per backend.

The sustained rate: the same consumer with kpi-svc's background roll-up (``RollupWorker``, the
service's batch size and poll interval) running beside it, timed from the first record consumed
until the consumer is done AND the roll-up backlog is zero (every KPI at every resolution shows
the last event); printed ÷ a hand-written exactly-once loop on the same backend (``floor``), per
backend and per ``--days``.

    .venv/bin/python bench/kpi_consume.py [--events 100000] [--batch-size 10000] [--days 1 90]
                                          [--backend sqlite|postgres|both] [--profile] [--sla-policy]
                                          [--rollup-process]

``--rollup-process`` runs the roll-up in a process of its own (as a separate deployment of the
worker would) instead of beside the consumer in one event loop: whether the consumer's process, or
the roll-up itself, bounds the sustained rate.

``--profile`` adds perf_counter sections around each stage of the consumer path and prints where
the time goes, and the statements that took longest from sending to result (a diagnostic; the
wrappers cost a little, so the ratio line of that run is a bit low).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import queue
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import orjson
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import func, select

from csq_common.bus.consumer import ConsumerRunner
from csq_common.bus.kafka import ensure_topics
from csq_common.bus.migration import upgrade_to_head
from csq_common.bus.models import InboxMessage
from csq_common.db import create_engine, session_factory, transaction
from csq_common.sqlite import BACKSTOP_CHECKPOINT_PAGES, wal_checkpointer
from csq_common.events import TicketClosed, TicketFirstResponded, TicketReopened, TicketSnapshot, make_event
from csq_testing import Broker, create_postgres_database, drop_postgres_database, postgres_available

from kpi_svc import consumers as kpi_consumers
from kpi_svc.aggregates import rollup
from kpi_svc.settings import Settings

from kpi_svc.kpis.service import KpiFilters, ticket_summary
from kpi_svc.main import SERVICE_ROOT

ROLLUP_BATCH = Settings.model_fields["rollup_batch_size"].default  # what the worker takes at a time
ROLLUP_POLL = Settings.model_fields["rollup_poll_seconds"].default

TEAMS = [f"team-{n:02d}" for n in range(10)]
AGENTS = [(f"agent-{n:03d}", TEAMS[n % 10]) for n in range(200)]  # each agent in one team
CHANNELS = ["email", "chat", "phone", "social", "web"]
DAYS = 90
WINDOW_START = datetime(2026, 8, 1, tzinfo=timezone.utc)
PARTITIONS = 3


# ---- events -----------------------------------------------------------------------------------


def build_events(count: int, days: int, seed: int = 7) -> tuple[list[tuple[bytes, bytes]], dict[str, int]]:
    """``count`` CloudEvents as (key, value): ~45 % ticket.closed, ~45 % ticket.first_responded,
    ~10 % ticket.reopened, over ``days`` days; key = ticket id. Returns the expected facts too."""
    rng = random.Random(seed)
    tickets = max(1, round(count * 0.45))
    reopens = count - 2 * tickets
    out: list[tuple[datetime, bytes, bytes]] = []
    snapshots = []
    for n in range(tickets):
        agent, team = AGENTS[rng.randrange(len(AGENTS))]
        closed_at = WINDOW_START + timedelta(seconds=rng.randrange(days * 86400 - 3600))
        resolution = int(rng.lognormvariate(8.5, 1.3)) + 60
        created_at = closed_at - timedelta(seconds=resolution)
        first_response_at = created_at + timedelta(seconds=min(resolution, int(rng.lognormvariate(6.0, 1.0)) + 5))
        resolved_at = closed_at - timedelta(seconds=rng.randrange(0, 600))
        if resolved_at < created_at:
            resolved_at = closed_at
        ticket = TicketSnapshot(
            id=f"T-{n:07d}",
            customer={"id": f"C-{rng.randrange(50_000)}", "email": "li.lei@example.com", "name": "李雷", "locale": "zh-CN"},
            agent_id=agent,
            team_id=team,
            channel=rng.choice(CHANNELS),
            priority=rng.choice(["low", "normal", "high"]),
            subject="退款进度",
            status="closed",
            created_at=created_at,
            first_response_at=first_response_at,
            resolved_at=resolved_at,
            closed_at=closed_at,
            handle_seconds=None if rng.random() < 0.05 else rng.randrange(30, 3600),
            reopen_count=0 if rng.random() < 0.8 else 1,
            contact_count=1 if rng.random() < 0.7 else rng.randrange(2, 5),
            tags=["refund"],
        )
        snapshots.append(ticket)
        for cls, at in ((TicketFirstResponded, first_response_at), (TicketClosed, closed_at)):
            event = make_event(cls(ticket=ticket, occurred_at=at), source="bench/crm", subject=ticket.id, time=at)
            out.append((at, ticket.id.encode(), event.to_bytes()))
    for n in range(reopens):
        ticket = snapshots[rng.randrange(len(snapshots))]
        at = ticket.closed_at + timedelta(seconds=rng.randrange(60, 3 * 86400))
        event = make_event(TicketReopened(ticket=ticket, occurred_at=at), source="bench/crm", subject=ticket.id, time=at)
        out.append((at, ticket.id.encode(), event.to_bytes()))
    out.sort(key=lambda item: item[0])  # roughly the order a CRM would report them in
    distinct_reopens = len({(k, orjson.loads(v)["data"]["occurred_at"]) for _, k, v in out if b'"ticket.reopened"' in v})
    expected = {"closures": tickets, "first_responses": tickets, "reopens": distinct_reopens}
    return [(key, value) for _, key, value in out], expected


async def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=20, max_batch_size=1024 * 1024, request_timeout_ms=30_000)
    await producer.start()
    started = time.perf_counter()
    try:
        for offset in range(0, len(records), 5000):
            futures = [await producer.send(topic, value=value, key=key) for key, value in records[offset : offset + 5000]]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


# ---- baseline: raw aiokafka + orjson -----------------------------------------------------------


async def raw_consume(bootstrap: str, topic: str, total: int, batch_size: int) -> float:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        read = 0
        first = None
        checksum = 0
        while read < total:
            batches = await consumer.getmany(*partitions, timeout_ms=500, max_records=batch_size)
            for records in batches.values():
                if records and first is None:
                    first = time.perf_counter()
                for record in records:
                    checksum += len(orjson.loads(record.value)["id"])
                    read += 1
        return read / (time.perf_counter() - first)
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic)


# ---- the practical ceiling: a hand-written exactly-once loop -----------------------------------

FLOOR_DDL = (
    "CREATE TABLE floor_inbox (consumer_group text, event_id text, PRIMARY KEY (consumer_group, event_id))",
    "CREATE TABLE floor_q15 (team_id text, agent_id text, channel text, bucket_start timestamptz, closures bigint, "
    "resolution_sum_ms bigint, frt_count bigint, frt_sum_ms bigint, reopens bigint, "
    "PRIMARY KEY (team_id, agent_id, channel, bucket_start))",
)
FLOOR_INBOX = (
    "INSERT INTO floor_inbox SELECT 'floor', e FROM unnest($1::text[]) AS u(e) ON CONFLICT DO NOTHING RETURNING event_id"
)
FLOOR_UPSERT = (
    "INSERT INTO floor_q15 SELECT t, a, c, b::timestamptz, n, r, f, fs, o "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::int8[]) "
    "AS u(t, a, c, b, n, r, f, fs, o) ON CONFLICT (team_id, agent_id, channel, bucket_start) DO UPDATE SET "
    "closures = floor_q15.closures + excluded.closures, resolution_sum_ms = floor_q15.resolution_sum_ms + excluded.resolution_sum_ms, "
    "frt_count = floor_q15.frt_count + excluded.frt_count, frt_sum_ms = floor_q15.frt_sum_ms + excluded.frt_sum_ms, "
    "reopens = floor_q15.reopens + excluded.reopens"
)


def _ms(start: str, end: str) -> int:
    return int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() * 1000)


def floor_cells(events: list[dict], new: set[str]) -> list[tuple]:
    """The 15-minute cells (team × agent × channel) of a batch's new events, as upsert rows."""
    cells: dict[tuple, list[int]] = {}
    for event in events:
        if event["id"] not in new:
            continue
        data, kind = event["data"], event["type"]
        ticket = data["ticket"]
        at = {"ticket.closed": ticket["closed_at"], "ticket.first_responded": ticket["first_response_at"]}.get(kind, data["occurred_at"])
        quarter = f"{at[:14]}{int(at[14:16]) // 15 * 15:02d}:00Z"
        cell = cells.setdefault((ticket["team_id"], ticket["agent_id"], ticket["channel"], quarter), [0] * 5)
        if kind == "ticket.closed":
            cell[0] += 1
            cell[1] += _ms(ticket["created_at"], ticket["resolved_at"] or at)
        elif kind == "ticket.first_responded":
            cell[2] += 1
            cell[3] += _ms(ticket["created_at"], at)
        else:
            cell[4] += 1
    return [(*key, *values) for key, values in cells.items()]


async def _floor_rate(bootstrap: str, topic: str, total: int, batch_size: int, apply, counts) -> float:
    """Events/s of the hand-written loop: getmany, orjson, ``apply(events)`` (one transaction),
    offsets committed after; timed from the first batch. ``counts()`` gives (inbox rows,
    closures) afterwards, checked against what build_events produced."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"floor-{uuid.uuid4().hex[:8]}", enable_auto_commit=False,
        auto_offset_reset="earliest", max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        first, done = None, 0
        while done < total:
            batches = await consumer.getmany(timeout_ms=500, max_records=batch_size)
            events = [orjson.loads(record.value) for records in batches.values() for record in records]
            if not events:
                continue
            first = first or time.perf_counter()
            await apply(events)
            await consumer.commit()
            done += len(events)
        rate = total / (time.perf_counter() - first)
    finally:
        await consumer.stop()
    inbox_rows, closures = await counts()
    expected_closures = round(total * 0.45)  # build_events: 45 % of the events close a ticket
    if inbox_rows != total or closures != expected_closures:
        raise SystemExit(f"hand-written floor: WRONG RESULT: inbox {inbox_rows} of {total}, closures {closures} of {expected_closures}")
    return rate


async def floor_consume(dsn: str, bootstrap: str, topic: str, total: int, batch_size: int) -> float:
    """The issue's "hand-written loop": aiokafka + orjson + asyncpg, per batch one inbox INSERT and
    one upsert of 15-minute cells (team × agent × channel) in one transaction, offsets committed
    after. No validation, no dedup of facts, no sketches, no roll-ups, no poison handling: what any
    exactly-once consumer of these records costs at the least on this machine, not a design."""
    connection = await asyncpg.connect(dsn)
    for statement in FLOOR_DDL:
        await connection.execute(statement)

    async def apply(events: list[dict]) -> None:
        async with connection.transaction():
            new = {row[0] for row in await connection.fetch(FLOOR_INBOX, [event["id"] for event in events])}
            rows = floor_cells(events, new)
            await connection.execute(FLOOR_UPSERT, *(list(column) for column in zip(*rows)))

    async def counts() -> tuple[int, int]:
        return (
            await connection.fetchval("SELECT count(*) FROM floor_inbox"),
            await connection.fetchval("SELECT sum(closures) FROM floor_q15"),
        )

    try:
        return await _floor_rate(bootstrap, topic, total, batch_size, apply, counts)
    finally:
        await connection.close()


_SQLITE_FLOOR_UPSERT = (
    "INSERT INTO floor_q15 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (team_id, agent_id, channel, bucket_start) "
    "DO UPDATE SET closures = closures + excluded.closures, resolution_sum_ms = resolution_sum_ms + excluded.resolution_sum_ms, "
    "frt_count = frt_count + excluded.frt_count, frt_sum_ms = frt_sum_ms + excluded.frt_sum_ms, reopens = reopens + excluded.reopens"
)


async def floor_consume_sqlite(path: Path, bootstrap: str, topic: str, total: int, batch_size: int) -> float:
    """The same loop on SQLite, with the standard library's sqlite3 called in the event loop's own
    thread (no driver thread, no hop: the fastest a hand-written SQLite loop gets), WAL and
    synchronous=NORMAL like the services, and no commit checkpointing either (the services leave
    it to a background thread); the inbox claimed 500 ids per INSERT … RETURNING."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
    for statement in FLOOR_DDL:
        connection.execute(statement.replace("timestamptz", "text").replace("bigint", "integer"))

    async def apply(events: list[dict]) -> None:
        connection.execute("BEGIN IMMEDIATE")
        new: set[str] = set()
        ids = [event["id"] for event in events]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            statement = "INSERT INTO floor_inbox VALUES " + ", ".join("('floor', ?)" for _ in chunk) + " ON CONFLICT DO NOTHING RETURNING event_id"
            new.update(row[0] for row in connection.execute(statement, chunk))
        connection.executemany(_SQLITE_FLOOR_UPSERT, floor_cells(events, new))
        connection.execute("COMMIT")

    async def counts() -> tuple[int, int]:
        (inbox,) = connection.execute("SELECT count(*) FROM floor_inbox").fetchone()
        (closures,) = connection.execute("SELECT sum(closures) FROM floor_q15").fetchone()
        return inbox, closures

    try:
        return await _floor_rate(bootstrap, topic, total, batch_size, apply, counts)
    finally:
        connection.close()


# ---- measured: kpi-svc's consumer path ------------------------------------------------------------


class TimedRunner(ConsumerRunner):
    """The real ConsumerRunner; only notes when the first batch arrives and when the committed
    offsets cover every record."""

    def __init__(self, *, expected: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.expected = expected
        self.first: float | None = None
        self.finished: float | None = None
        self.done = asyncio.Event()
        self.committed: dict[TopicPartition, int] = {}
        self._wrapped = None

    async def process(self, records) -> None:
        if self.first is None:
            self.first = time.perf_counter()
        consumer = self._consumer
        if consumer is not None and self._wrapped is not consumer:
            self._wrapped = consumer
            original = consumer.commit

            async def commit(offsets=None):
                await original(offsets)
                self.committed.update(offsets)
                if sum(self.committed.values()) >= self.expected and not self.done.is_set():
                    self.finished = time.perf_counter()
                    self.done.set()

            consumer.commit = commit
        await super().process(records)


class TimedRollup(rollup.RollupWorker):
    """kpi-svc's roll-up worker as the service runs it (same batch size and poll interval); notes
    the first round, after the consumer is done, whose transaction saw no pending delta left.
    ``consumer_done``: an asyncio or a multiprocessing event (only ``is_set`` is asked)."""

    def __init__(self, consumer_done, **kwargs) -> None:
        super().__init__(**kwargs)
        self.consumer_done = consumer_done
        self.drained_at: float | None = None
        self.drained = asyncio.Event()

    async def work_once(self) -> bool:
        finished = self.consumer_done.is_set()  # before the round: its snapshot follows the last commit
        async with transaction(self._sessions) as session:
            moved = await rollup.fold_pending(session, limit=self._batch_size)
            remaining = await rollup.backlog(session)
        if finished and remaining == 0 and not self.drained.is_set():
            self.drained_at = time.perf_counter()
            self.drained.set()
        return moved == self._batch_size

    async def drained_after(self, _consumer_done: asyncio.Event) -> float:
        await self.drained.wait()
        return self.drained_at


def _rollup_process_main(database_url: str, consumer_done, drained) -> None:
    """TimedRollup in a process of its own (``consumer_done`` is a multiprocessing event); puts its
    ``drained_at`` on ``drained``: perf_counter is the system's monotonic clock, the same in every
    process."""

    async def rounds() -> None:
        engine = create_engine(database_url)
        worker = TimedRollup(consumer_done, sessions=session_factory(engine), batch_size=ROLLUP_BATCH, poll_seconds=ROLLUP_POLL)
        worker.start()
        try:
            await worker.drained.wait()
            drained.put(worker.drained_at)
        finally:
            await worker.stop()
            await engine.dispose()

    asyncio.run(rounds())


class RollupProcess:
    """kpi-svc's roll-up worker (batch size and poll interval as the service's) in a process of its own."""

    def __init__(self, database_url: str) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._consumer_done = context.Event()
        self._drained = context.Queue()
        self._process = context.Process(target=_rollup_process_main, args=(database_url, self._consumer_done, self._drained))

    def start(self) -> None:
        self._process.start()

    async def drained_after(self, consumer_done: asyncio.Event) -> float:
        await consumer_done.wait()
        self._consumer_done.set()
        loop = asyncio.get_running_loop()
        while True:
            try:
                return await loop.run_in_executor(None, self._drained.get, True, 1.0)
            except queue.Empty:
                if not self._process.is_alive():
                    raise SystemExit(f"the roll-up process ended (exit code {self._process.exitcode}) before the backlog was drained")

    async def stop(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._process.join, 60)
        if self._process.is_alive():
            self._process.kill()


async def kpi_consume(
    backend: str, database_url: str, bootstrap: str, topic: str, dlq: str, total: int, batch_size: int,
    expected: dict[str, int], days: int, sla_policy: bool = False, rollup_process: bool = False,
) -> tuple[float, float]:
    """(events/s consumed, sustained events/s: first record consumed → consumer done and roll-up
    backlog zero), the roll-up worker running beside the consumer as in the service (or, with
    ``rollup_process``, in a process of its own)."""
    engine = create_engine(database_url)
    checkpointer = wal_checkpointer(engine)  # SQLite: beside the consumer, as in the service
    try:
        await upgrade_to_head(engine, SERVICE_ROOT)
        if sla_policy:
            await create_sla_policy(engine)
        if checkpointer is not None:
            checkpointer.start()
        sessions = session_factory(engine)
        applied = 0

        async def handler(session, events):
            nonlocal applied
            await kpi_consumers.handle_events(session, events)
            applied += len(events)

        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        runner = TimedRunner(
            expected=total,
            group=f"kpi-svc-bench-{uuid.uuid4().hex[:8]}",
            topics=[topic],
            handler=handler,
            sessions=sessions,
            producer=producer,
            dlq_topic=dlq,
            bootstrap_servers=bootstrap,
            batch_size=batch_size,
            session_timeout_ms=6000,
            # as kpi-svc's app builds its runner (looked up at call time, so --profile can time it)
            decode=lambda raw: kpi_consumers.decode_record(raw),
        )
        if rollup_process:
            worker = RollupProcess(database_url)
        else:
            worker = TimedRollup(runner.done, sessions=sessions, batch_size=ROLLUP_BATCH, poll_seconds=ROLLUP_POLL)
        runner.start()
        worker.start()
        try:
            await asyncio.wait_for(runner.done.wait(), timeout=1800)
            drained_at = await asyncio.wait_for(worker.drained_after(runner.done), timeout=1800)
        finally:
            await worker.stop()
            await runner.stop()
            await producer.stop()
        rate = total / (runner.finished - runner.first)
        sustained = total / (drained_at - runner.first)

        # correctness, cheaply: every event applied once, the closures all counted (after the roll-up)
        async with sessions() as session:
            inbox_rows = await session.scalar(select(func.count()).select_from(InboxMessage).where(InboxMessage.consumer_group == runner.group))
            pending = await rollup.backlog(session)
            summary = await ticket_summary(session, start=WINDOW_START - timedelta(days=60), end=WINDOW_START + timedelta(days=days + 4), filters=KpiFilters())
        problems = []
        if applied != total or inbox_rows != total:
            problems.append(f"applied {applied} / inbox {inbox_rows} events, expected {total}")
        if pending:
            problems.append(f"{pending} deltas still pending after the roll-up drained")
        if summary.values["tickets_closed"] != expected["closures"]:
            problems.append(f"tickets_closed {summary.values['tickets_closed']} != {expected['closures']} closures produced")
        if summary.counts["frt_avg_seconds"] != expected["first_responses"]:
            problems.append(f"first responses {summary.counts['frt_avg_seconds']} != {expected['first_responses']}")
        reopens = round(summary.values["reopen_pct"] * expected["closures"] / 100)
        if reopens != expected["reopens"]:
            problems.append(f"reopens {reopens} != {expected['reopens']}")
        if problems:
            raise SystemExit(f"kpi_consume[{backend}]: WRONG RESULT: " + "; ".join(problems))
        return rate, sustained
    finally:
        if checkpointer is not None:
            await checkpointer.stop()
        await engine.dispose()


async def create_sla_policy(engine) -> None:
    """One SLA policy covering every ticket, as any real deployment has: each ticket event then also
    starts, stops and counts its first-response and resolution timers."""
    from kpi_svc.sla.schemas import PolicyCreate
    from kpi_svc.sla.service import create_policy

    body = {"name": "标准", "priorities": [], "tags": [], "first_response_seconds": 3600, "resolution_seconds": 8 * 3600,
            "business_hours": False, "paused_statuses": ["pending"]}
    async with transaction(session_factory(engine)) as session:
        await create_policy(session, PolicyCreate.model_validate(body), now=datetime.now(timezone.utc))


# ---- profile sections ------------------------------------------------------------------------------


SECTIONS: dict[str, float] = defaultdict(float)
#: Per SQL statement (its first words), seconds from sending it until its result is back, and calls:
#: the database's share of the consumer path (its time on the event loop included).
STATEMENTS: dict[str, list] = defaultdict(lambda: [0.0, 0])
COLLECTING_STATEMENTS = False


def install_statement_timers() -> None:
    """Time every statement at the drivers (asyncpg, aiosqlite), SQLAlchemy's and csq_common.sql's
    alike, while kpi-svc's consumer and roll-up run (not the floor's)."""
    import aiosqlite
    from asyncpg import prepared_stmt

    def timed(owner, name, query_of):
        original = getattr(owner, name)

        async def wrapper(self, *args, **kwargs):
            if not COLLECTING_STATEMENTS:
                return await original(self, *args, **kwargs)
            started = time.perf_counter()
            try:
                return await original(self, *args, **kwargs)
            finally:
                entry = STATEMENTS[" ".join(str(query_of(self, args)).split())[:80]]
                entry[0] += time.perf_counter() - started
                entry[1] += 1

        setattr(owner, name, wrapper)

    for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval"):
        timed(asyncpg.connection.Connection, name, lambda self, args: args[0] if args else "?")
    for name in ("fetch", "fetchrow", "fetchval", "executemany"):
        timed(prepared_stmt.PreparedStatement, name, lambda self, args: self.get_query())
    for owner in (aiosqlite.Connection, aiosqlite.Cursor):
        for name in ("execute", "executemany"):
            timed(owner, name, lambda self, args: args[0] if args else "?")
    timed(aiosqlite.Connection, "execute_fetchall", lambda self, args: args[0] if args else "?")


def install_sections() -> None:
    """perf_counter sections around each stage of the consumer path (module attributes the code
    looks up at call time, so no source change)."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from csq_common.sql import BulkInsert
    from csq_common.bus import consumer as consumer_module
    from csq_common.bus import inbox
    from kpi_svc.aggregates import service as aggregates

    def timed_async(owner, name, label):
        original = getattr(owner, name)

        async def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                SECTIONS[label] += time.perf_counter() - started

        setattr(owner, name, wrapper)

    def timed_sync(owner, name, label, static=False):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                SECTIONS[label] += time.perf_counter() - started

        setattr(owner, name, staticmethod(wrapper) if static else wrapper)

    timed_sync(kpi_consumers, "decode_record", "1 decode record (msgspec, ticket payloads included)")
    timed_async(inbox, "claim", "2 inbox claim")
    from kpi_svc.conversations import contacts
    from kpi_svc.sla import timers as sla_timers

    timed_async(sla_timers, "apply_ticket_events", "3 SLA clocks per ticket (sla.timers)")
    timed_async(aggregates, "claim_new", "4 dedup claims (kpi_counted_*)")
    timed_async(contacts, "record_tickets", "4a customers' tickets (repeat contacts)")
    timed_async(contacts, "repeat_closures", "4b repeat-contact probes")
    for method in ("add_closure", "add_first_response", "add_reopen", "rows"):
        timed_sync(aggregates.CellAggregate, method, "5 aggregate per cell in memory (CellAggregate)")
    timed_async(BulkInsert, "execute", "6 insert pending deltas (BulkInsert)")
    timed_async(AsyncSession, "commit", "7 commit")
    timed_async(kpi_consumers, "handle_events", "  (handler total)")
    timed_async(consumer_module.ConsumerRunner, "process", "  (process total)")
    # the roll-up beside it (its own task: shares of its own total)
    from csq_common import sql
    from kpi_svc.aggregates import fold

    timed_async(rollup, "fold_pending", "R  (roll-up total)")
    timed_async(rollup, "write", "R3 write")
    timed_async(sql, "rows_by_keys", "R4 read stored sketches")
    timed_async(sql, "add_to_counters", "R5 upsert aggregates")
    timed_sync(fold, "fold", "R2 fold cells in memory (aggregates.fold)")
    timed_sync(fold, "merged_blobs", "R6 merge sketch bins (aggregates.fold)")


def print_statements(backend: str, events: int, top: int = 12) -> None:
    total = sum(seconds for seconds, _ in STATEMENTS.values())
    print(f"kpi_consume[{backend}] statements: {total:.2f}s in all ({1e6 * total / events:.0f} µs/event), the longest:")
    for query, (seconds, calls) in sorted(STATEMENTS.items(), key=lambda item: -item[1][0])[:top]:
        print(f"  {seconds:6.2f}s {calls:5d}x {1e6 * seconds / events:5.0f} µs/event  {query}")
    STATEMENTS.clear()


def print_sections(backend: str, events: int) -> None:
    for label, prefix, total_name in (("consumer", " ", "  (process total)"), ("roll-up", "R", "R  (roll-up total)")):
        total = SECTIONS.get(total_name, 0.0)
        sections = sorted((name, seconds) for name, seconds in SECTIONS.items() if (name[0] == "R") == (prefix == "R"))
        parts = ", ".join(
            f"{name} {seconds:.2f}s ({100 * seconds / total:.0f}%, {1e6 * seconds / events:.0f} µs/event)"
            for name, seconds in sections if total
        )
        print(f"kpi_consume[{backend}] {label} profile: {parts}")
    SECTIONS.clear()


# ---- main ---------------------------------------------------------------------------------------


async def run(args) -> None:
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if "postgres" in backends and not postgres_available():
        raise SystemExit("PostgreSQL does not answer at 127.0.0.1:5432")
    workdir = Path(tempfile.mkdtemp(prefix="csq-bench-kpi-"))
    broker = Broker(log_path=workdir / "tansu.log").start()
    try:
        assert kpi_consumers.consumers(Settings.model_construct())[0].decode is kpi_consumers.decode_record  # the bench runs what the app runs
        if args.profile:
            install_sections()
            install_statement_timers()
        for days in args.days:
            prefix = f"bench{uuid.uuid4().hex[:8]}."
            topic, dlq = prefix + "tickets", prefix + "dlq"
            await ensure_topics(broker.bootstrap_servers, [topic, dlq], PARTITIONS)
            records, expected = build_events(args.events, days)
            await produce(broker.bootstrap_servers, topic, records)
            gc.freeze()  # as a service does once started (csq_common.runtime); for the baseline too
            for backend in backends:
                await measure(args, backend, days, workdir, broker.bootstrap_servers, topic, dlq, records, expected)
    finally:
        broker.stop()


async def measure(args, backend: str, days: int, workdir: Path, bootstrap: str, topic: str, dlq: str, records, expected) -> None:
    """One backend, one spread of event time: raw consumption, kpi-svc's consumer with its roll-up,
    the hand-written floor; one line each, the ratios from this same run."""
    baseline = await raw_consume(bootstrap, topic, len(records), args.batch_size)
    if backend == "postgres":
        url = await create_postgres_database()
    else:
        url = f"sqlite+aiosqlite:///{workdir / f'kpi-{uuid.uuid4().hex[:6]}.db'}"
    global COLLECTING_STATEMENTS
    COLLECTING_STATEMENTS = args.profile
    try:
        service, sustained = await kpi_consume(
            backend, url, bootstrap, topic, dlq, len(records), args.batch_size, expected, days, sla_policy=args.sla_policy,
            rollup_process=args.rollup_process,
        )
    finally:
        COLLECTING_STATEMENTS = False
        if backend == "postgres":
            await drop_postgres_database(url)
    if args.profile:
        print_sections(backend, len(records))
        print_statements(backend, len(records))
    if backend == "postgres":
        url = await create_postgres_database()
        try:
            floor = await floor_consume(url.replace("+asyncpg", ""), bootstrap, topic, len(records), args.batch_size)
        finally:
            await drop_postgres_database(url)
    else:
        floor = await floor_consume_sqlite(workdir / f"floor-{uuid.uuid4().hex[:6]}.db", bootstrap, topic, len(records), args.batch_size)
    label = f"{backend}, {days} day{'s' if days != 1 else ''}{', an SLA policy' if args.sla_policy else ''}"
    label += ", roll-up in its own process" if args.rollup_process else ""
    print(
        f"kpi_consume[{label}]: sustained / floor {sustained / floor:.2f} (target >= 0.5) — sustained {sustained:.0f} events/s "
        f"(first record consumed → consumer done AND roll-up backlog 0, RollupWorker batch {ROLLUP_BATCH} {'in its own process' if args.rollup_process else 'beside the consumer'}) "
        f"vs hand-written floor {floor:.0f} events/s (orjson + one inbox INSERT + one 15-minute-cell upsert per batch, nothing "
        f"validated); N={len(records)}, batch {args.batch_size}, {PARTITIONS} partitions; tickets_closed = {expected['closures']} "
        f"closures produced: OK",
        flush=True,
    )
    print(
        f"kpi_consume[{label}]: consumer alone {service:.0f} events/s (to offsets committed; roll-up still behind) = "
        f"{service / floor:.2f} of the floor, {service / baseline:.2f} of raw aiokafka+orjson {baseline:.0f} events/s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--profile", action="store_true", help="print a per-stage time breakdown of the consumer path")
    parser.add_argument(
        "--sla-policy", action="store_true",
        help="create one SLA policy covering every ticket first, so the consumer keeps SLA timers as in a real deployment",
    )
    parser.add_argument(
        "--days", type=int, nargs="+", default=[1, DAYS],
        help="event times spread over this many days, one measurement each: 90 is the worst case (almost every aggregate "
        "row is new); 1 is closer to a live stream, where a batch's events share their buckets",
    )
    parser.add_argument(
        "--rollup-process", action="store_true",
        help="run the roll-up in a process of its own instead of beside the consumer in one event loop",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
