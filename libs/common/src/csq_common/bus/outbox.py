"""Transactional outbox: ``add`` on the caller's session, ``OutboxRelay`` publishes and marks sent.

The relay publishes unsent rows in id order (so one key's events keep their order), waits for the
broker's acknowledgement, then marks the rows sent in one transaction. If the broker is down the
rows stay and the relay retries with backoff; a crash between publish and mark re-publishes, and
the consumers' inboxes make that harmless. A row the broker refuses for good (a non-retriable
error such as a record too large) is retried ``max_attempts`` times and then parked: it stays in
the table with its ``last_error`` and the ``csq_outbox_parked`` gauge, and stops blocking the rows
behind it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import NamedTuple

import structlog
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.bulk import BulkInsert
from csq_common.bus.models import OutboxMessage
from csq_common.db import driver_connection, sqlite_timestamp, utcnow
from csq_common.events import CloudEvent, EncodedEvent
from csq_common.bus import metrics
from csq_common.worker import PollingWorker, WakeSignal

log = structlog.get_logger(__name__)
_wake_relays = WakeSignal()  # every relay of this process; a hint, the relays also poll
_INSERT_MANY = BulkInsert(OutboxMessage.__table__, ("event_id", "topic", "key", "payload", "created_at"))


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
    return int(
        await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts >= max_attempts)
        )
    )


class Unsent(NamedTuple):
    id: int
    topic: str
    key: str
    payload: bytes


async def unsent(session: AsyncSession, *, limit: int, max_attempts: int) -> list[Unsent]:
    """The first ``limit`` rows not yet published (nor parked), in id order: one statement on the
    session's driver connection (the relay runs it after every batch a writer commits)."""
    driver = await driver_connection(session)
    if session.bind.dialect.name == "postgresql":
        records = await driver.fetch(
            "SELECT id, topic, key, payload FROM outbox WHERE sent_at IS NULL AND attempts < $1 ORDER BY id LIMIT $2",
            max_attempts, limit,
        )
    else:
        records = await driver.execute_fetchall(
            "SELECT id, topic, key, payload FROM outbox WHERE sent_at IS NULL AND attempts < ? ORDER BY id LIMIT ?",
            (max_attempts, limit),
        )
    return [Unsent(*record) for record in records]


_MARK_SENT_CHUNK = 5000  # ids per SQLite statement, under its bound-parameter limit


async def mark_sent(session: AsyncSession, ids: list[int], *, at: datetime) -> None:
    """Mark the rows ``ids`` published at ``at``: one statement on the session's driver connection
    (``= ANY($2)`` on PostgreSQL, ``IN (…)`` on SQLite), in its transaction."""
    driver = await driver_connection(session)
    if session.bind.dialect.name == "postgresql":
        await driver.execute("UPDATE outbox SET sent_at = $1 WHERE id = ANY($2::int8[])", at, ids)
        return
    for start in range(0, len(ids), _MARK_SENT_CHUNK):
        chunk = ids[start : start + _MARK_SENT_CHUNK]
        await driver.execute(
            f"UPDATE outbox SET sent_at = ? WHERE id IN ({', '.join('?' for _ in chunk)})", [sqlite_timestamp(at), *chunk]
        )


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

    async def work_once(self) -> bool:
        published = await self.publish_pending()
        await self._maybe_prune()
        return published >= self._batch_size  # more waiting: no sleep

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows; return how many were sent."""
        async with self._read_sessions() as session:
            rows = await unsent(session, limit=self._batch_size, max_attempts=self._max_attempts)
            metrics.OUTBOX_BACKLOG.set(await backlog(session) if len(rows) >= self._batch_size else len(rows))
        if not rows:
            return 0
        results = await self._deliver(rows)
        sent = [row.id for row, result in zip(rows, results) if not isinstance(result, BaseException)]
        refused = [(row.id, result) for row, result in zip(rows, results) if isinstance(result, BaseException)]
        transient = [error for _, error in refused if getattr(error, "retriable", False) or isinstance(error, (ConnectionError, TimeoutError))]
        async with self._sessions() as session:
            if sent:
                await mark_sent(session, sent, at=utcnow())
            for row_id, error in refused:
                if not (getattr(error, "retriable", False) or isinstance(error, (ConnectionError, TimeoutError))):
                    log.error("outbox.publish_refused", outbox_id=row_id, error=repr(error))
                    await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id == row_id)
                        .values(attempts=OutboxMessage.attempts + 1, last_error=repr(error)[:2000])
                    )
            await session.commit()
        metrics.OUTBOX_PUBLISHED.inc(len(sent))
        if transient:
            raise transient[0]  # the broker is away: back off, the rows stay
        if refused:
            async with self._sessions() as session:
                metrics.OUTBOX_PARKED.set(await parked(session, self._max_attempts))
        return len(sent)

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
        async with self._sessions() as session:
            await session.execute(delete(OutboxMessage).where(OutboxMessage.sent_at < now - self._keep_sent_for))
            await session.commit()
