"""Transactional outbox: ``add`` on the caller's session, ``OutboxRelay`` publishes and marks sent.

The relay publishes unsent rows in id order (so one key's events keep their order), waits for the
broker's acknowledgement, then marks the rows sent in one transaction. If the broker is down,
stalled or the producer closed, the rows stay and the relay retries with backoff; a crash between
publish and mark re-publishes, and the consumers' inboxes make that harmless. A partition's
batches are published one after the other and nothing after a failed one is published in that
round (``BrokerProducer.send_many``), so a retried batch never lands behind a later one of its key.

On PostgreSQL one relay per database publishes at a time: each round runs in one transaction that
holds a transaction-level advisory lock, from reading the rows to marking them sent, so replicas
never publish a row twice or interleave one key's events; the others skip the round. (A SQLite
database belongs to one service process, whose single relay needs no lock.)

A row the broker refuses for good (a record too large, say) is retried ``max_attempts`` times and
then parked: it stays in the table with its ``last_error``, stops blocking the rows behind it and
is counted by the ``csq_outbox_parked`` gauge, which is recomputed from the table. ``python -m
csq_common.bus.outbox requeue --database-url URL`` puts parked rows back in the queue.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import datetime, timedelta
from typing import NamedTuple

import structlog
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common import sql
from csq_common.bus import metrics
from csq_common.bus.kafka import publish_error_is_transient
from csq_common.bus.models import OutboxMessage
from csq_common.db import create_engine, session_factory, transaction, utcnow
from csq_common.events import CloudEvent, EncodedEvent
from csq_common.worker import PollingWorker, WakeSignal

log = structlog.get_logger(__name__)
_wake_relays = WakeSignal()  # every relay of this process; a hint, the relays also poll
_INSERT_MANY = sql.BulkInsert(OutboxMessage.__table__, ("event_id", "topic", "key", "payload", "created_at"))


async def add(session: AsyncSession, event: CloudEvent, *, topic: str, key: str) -> OutboxMessage:
    """Stage ``event`` for publication in the caller's transaction."""
    row = OutboxMessage(event_id=event.id, topic=topic, key=key, payload=event.to_bytes(), created_at=utcnow())
    session.add(row)
    _wake_relays()
    return row


async def add_many(session: AsyncSession, events: list[tuple[CloudEvent | EncodedEvent, str, str]]) -> None:
    """``add`` for many ``(event, topic, key)`` at once, in order: one INSERT on the caller's
    transaction (no ORM unit of work, see csq_common.bulk), for batch writers."""
    if not events:
        return
    created_at = utcnow()
    await _INSERT_MANY.execute(
        session, [(event.id, topic, key, event.to_bytes(), created_at) for event, topic, key in events]
    )
    _wake_relays()


async def backlog(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))))


async def parked(session: AsyncSession, max_attempts: int) -> int:
    return (await backlog_and_parked(session, max_attempts))[1]


async def backlog_and_parked(session: AsyncSession, max_attempts: int) -> tuple[int, int]:
    """(rows not yet published, of which parked) in one statement."""
    row = (
        await session.execute(
            select(func.count(), func.count().filter(OutboxMessage.attempts >= max_attempts))
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None))
        )
    ).one()
    return int(row[0]), int(row[1])


async def requeue_parked(session: AsyncSession, ids: list[int] | None = None) -> int:
    """Put unsent rows that failed before (all, or those of ``ids``) back in the queue with no
    attempts counted; returns how many. For an operator, once the cause of the refusals is fixed."""
    statement = update(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts > 0)
    if ids:
        statement = statement.where(OutboxMessage.id.in_(ids))
    result = await session.execute(statement.values(attempts=0, last_error=None))
    return int(result.rowcount)


#: The transaction-level advisory lock a relay holds on PostgreSQL while it publishes a round.
PUBLISHER_LOCK = 0x6373712D6F7574  # "csq-out"


async def take_publisher_turn(session: AsyncSession) -> bool:
    """Try to become the database's one publishing relay for this transaction (False: another
    relay is publishing now). Only where ``sql.transaction_locks_available``."""
    return await sql.try_transaction_lock(session, PUBLISHER_LOCK)


class Unsent(NamedTuple):
    id: int
    topic: str
    key: str
    payload: bytes


_UNSENT = (
    select(OutboxMessage.id, OutboxMessage.topic, OutboxMessage.key, OutboxMessage.payload)
    .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < bindparam("max_attempts"))
    .order_by(OutboxMessage.id)
    .limit(bindparam("limit"))
)


async def unsent(session: AsyncSession, *, limit: int, max_attempts: int) -> list[Unsent]:
    """The first ``limit`` rows not yet published (nor parked), in id order: one prepared
    statement (the relay runs it after every batch a writer commits)."""
    records = await sql.fetch_prepared(session, _UNSENT, {"limit": limit, "max_attempts": max_attempts})
    return [Unsent(*record) for record in records]


async def mark_sent(session: AsyncSession, ids: list[int], *, at: datetime) -> None:
    """Mark the rows ``ids`` published at ``at``, in one statement of the caller's transaction."""
    await sql.set_where_ids(session, OutboxMessage.__table__, ids, {"sent_at": at})


class OutboxRelay(PollingWorker):
    name = "outbox"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.2,
        keep_sent_for: timedelta = timedelta(days=1),
        linger_seconds: float = 0.005,
        max_attempts: int = 5,
        read_sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        """``read_sessions`` (optional) reads the unsent rows: on SQLite a plain deferred BEGIN,
        so the read never takes the write lock the service's writers queue for."""
        super().__init__(poll_seconds=poll_seconds, wake_signal=_wake_relays, linger_seconds=linger_seconds)
        self._sessions = sessions
        self._read_sessions = read_sessions or sessions
        self._producer = producer
        self._batch_size = batch_size
        self._keep_sent_for = keep_sent_for
        self._max_attempts = max_attempts
        self._last_prune = utcnow()
        self._gauges_counted = 0.0
        self._rounds_hold_a_turn: bool | None = None  # known once the first round has a session

    async def work_once(self) -> bool:
        published = await self.publish_pending()
        await self._maybe_prune()
        return published >= self._batch_size  # more waiting: no sleep

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows; return how many were sent."""
        if self._rounds_hold_a_turn is None:
            async with self._read_sessions() as session:
                self._rounds_hold_a_turn = sql.transaction_locks_available(session)
        if self._rounds_hold_a_turn:
            return await self._publish_holding_the_turn()
        return await self._publish_then_mark()

    async def _publish_holding_the_turn(self) -> int:
        """One transaction holds the publisher lock from reading the rows to marking them sent;
        a relay that does not get the lock skips the round."""
        async with transaction(self._sessions) as session:
            if not await take_publisher_turn(session):
                return 0
            rows = await unsent(session, limit=self._batch_size, max_attempts=self._max_attempts)
            await self._update_gauges(session, rows)
            outcomes = await self._deliver(rows) if rows else []
            await self._record(session, rows, outcomes)
        return self._after(rows, outcomes)

    async def _publish_then_mark(self) -> int:
        """Read without the write lock, publish, then mark in a short write transaction: the
        service's writers never wait on the broker."""
        async with self._read_sessions() as session:
            rows = await unsent(session, limit=self._batch_size, max_attempts=self._max_attempts)
            await self._update_gauges(session, rows)
        if not rows:
            return 0
        outcomes = await self._deliver(rows)
        async with transaction(self._sessions) as session:
            await self._record(session, rows, outcomes)
        return self._after(rows, outcomes)

    async def _update_gauges(self, session: AsyncSession, rows: list[Unsent]) -> None:
        """Backlog and parked rows, counted from the table after a full batch and at least once a
        second (so both are right after a restart, or after an operator re-queued rows)."""
        now = time.monotonic()
        if len(rows) < self._batch_size and now - self._gauges_counted < 1.0:
            metrics.OUTBOX_BACKLOG.set(len(rows))
            return
        self._gauges_counted = now
        waiting, parked_rows = await backlog_and_parked(session, self._max_attempts)
        metrics.OUTBOX_BACKLOG.set(waiting - parked_rows)
        metrics.OUTBOX_PARKED.set(parked_rows)

    async def _record(self, session: AsyncSession, rows: list[Unsent], outcomes: list[object]) -> None:
        """Mark the published rows sent and count an attempt on each row the broker refused for
        good; rows that failed for a transient reason are left as they were."""
        sent = [row.id for row, outcome in zip(rows, outcomes) if not isinstance(outcome, BaseException)]
        if sent:
            await mark_sent(session, sent, at=utcnow())
        for row, error in zip(rows, outcomes):
            if isinstance(error, BaseException) and not publish_error_is_transient(error):
                log.error("outbox.publish_refused", outbox_id=row.id, error=repr(error))
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id)
                    .values(attempts=OutboxMessage.attempts + 1, last_error=repr(error)[:2000])
                )

    def _after(self, rows: list[Unsent], outcomes: list[object]) -> int:
        sent = sum(1 for outcome in outcomes if not isinstance(outcome, BaseException))
        metrics.OUTBOX_PUBLISHED.inc(sent)
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        transient = [error for error in failures if publish_error_is_transient(error)]
        if transient:
            raise transient[0]  # the broker is away or stalled: back off, the rows stay
        if failures:
            self._gauges_counted = 0.0  # a row may have just been parked: count at once
        return sent

    async def _deliver(self, rows: list[Unsent]) -> list[object]:
        """Each row's delivery outcome: the broker's answer or the exception that refused it."""
        futures = await self._producer.send_many([(row.topic, row.key.encode(), row.payload) for row in rows])
        unique = list({id(future): future for future in futures}.values())  # a batch's rows share one
        outcomes = dict(zip(map(id, unique), await asyncio.gather(*unique, return_exceptions=True)))
        return [outcomes[id(future)] for future in futures]

    async def _maybe_prune(self) -> None:
        now = utcnow()
        if now - self._last_prune < timedelta(minutes=10):
            return
        self._last_prune = now
        async with transaction(self._sessions) as session:
            await session.execute(delete(OutboxMessage).where(OutboxMessage.sent_at < now - self._keep_sent_for))


async def _requeue(database_url: str, ids: list[int] | None) -> int:
    engine = create_engine(database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            return await requeue_parked(session, ids)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m csq_common.bus.outbox", description="Outbox administration.")
    commands = parser.add_subparsers(dest="command", required=True)
    requeue = commands.add_parser("requeue", help="put parked (refused) outbox rows back in the queue")
    requeue.add_argument("--database-url", required=True, help="the service's DATABASE_URL")
    requeue.add_argument("--id", type=int, action="append", dest="ids", help="only this outbox row (repeatable)")
    args = parser.parse_args(argv)
    count = asyncio.run(_requeue(args.database_url, args.ids))
    print(f"re-queued {count} outbox row(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
