"""Group commit for the webhook intake: many requests, one transaction.

A request that passed the signature, size and schema checks hands its payload to the batcher
and awaits the outcome. The batcher takes what is queued (after lingering a couple of
milliseconds, at most ``max_items``), applies it with ``service.receive_ticket_webhooks`` in ONE
transaction, commits, and only then answers each request: a 202 is never sent for an event whose
receipt, ticket and outbox rows are not committed.

If the batch transaction fails it is retried once; if it fails again, each item is applied in its
own transaction, so a poison item fails alone (its request gets the error) and the others
succeed. The queue is bounded: when full, ``submit`` raises :class:`IntakeBusy` (503 with
Retry-After) rather than growing memory. ``stop`` refuses new items and drains the queue.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from feedback_svc.webhooks import service
from csq_common.db import database_unavailable, transaction
from csq_common.errors import DATABASE_AWAY, CsqError, ServiceUnavailable
from feedback_svc.webhooks.errors import EventNotStored, IntakeBusy
from feedback_svc.webhooks.schemas import WebhookAccepted
from feedback_svc.webhooks.service import Webhook

log = structlog.get_logger(__name__)

Item = tuple[Webhook, asyncio.Future]

BATCH_SIZE = Histogram(
    "csq_webhook_batch_size", "Webhook events applied per group-committed transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000),
)


class WebhookBatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        topic: str,
        notify_public_key: str,
        max_items: int = 200,
        linger_seconds: float = 0.0005,
        max_queued: int = 10_000,
    ) -> None:
        self._sessions = sessions
        self._topic = topic
        self._notify_public_key = notify_public_key
        self._max_items = max_items
        self._linger_seconds = linger_seconds
        self._max_queued = max_queued
        self._queue: deque[Item] = deque()
        self._wakeup = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-batcher")

    async def stop(self) -> None:
        """Refuse new items, apply (and commit) everything already queued, then return."""
        self._closed = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    async def submit(self, payload: Webhook) -> WebhookAccepted:
        """Queue ``payload`` and wait until the transaction that applied it has committed."""
        if self._closed:
            raise IntakeBusy("the service is shutting down; retry shortly")
        if len(self._queue) >= self._max_queued:
            raise IntakeBusy(f"the webhook queue is full ({self._max_queued} events waiting); retry shortly")
        future = asyncio.get_running_loop().create_future()
        self._queue.append((payload, future))
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        while True:
            if not self._queue:
                if self._closed:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if len(self._queue) < self._max_items and self._linger_seconds > 0 and not self._closed:
                await asyncio.sleep(self._linger_seconds)  # let concurrent requests join this batch
            count = min(self._max_items, len(self._queue))
            batch = [self._queue.popleft() for _ in range(count)]
            BATCH_SIZE.observe(count)
            try:
                await self._apply(batch)
            except BaseException as exc:  # never leave a request waiting forever
                for payload, future in batch:
                    if not future.done():
                        future.set_exception(_not_stored(payload))
                if not isinstance(exc, Exception):
                    raise
                log.exception("webhooks.batch_crashed", size=len(batch))

    async def _apply(self, batch: Sequence[Item]) -> None:
        payloads = [payload for payload, _future in batch]
        for attempt in (1, 2):
            try:
                results = await self._commit(payloads)
            except Exception as exc:
                log.warning("webhooks.batch_failed", size=len(batch), attempt=attempt, error=repr(exc))
                continue
            for (_payload, future), result in zip(batch, results):
                if not future.done():
                    future.set_result(result)
            return
        # Twice failed: one transaction per item, so only the bad item fails (with its own error).
        for payload, future in batch:
            try:
                (result,) = await self._commit([payload])
            except Exception as exc:
                log.error("webhooks.item_failed", event_id=payload.event_id, error=repr(exc), exc_info=exc)
                if not future.done():
                    future.set_exception(_refusal(exc, payload))
            else:
                if not future.done():
                    future.set_result(result)

    async def _commit(self, payloads: list[Webhook]) -> list[WebhookAccepted]:
        """One transaction: the edge that commits, like a consumer batch."""
        async with transaction(self._sessions) as session:
            return await service.receive_ticket_webhooks(
                session, payloads, topic=self._topic, notify_public_key=self._notify_public_key
            )


def batcher_lifespan(batcher_class: type[WebhookBatcher], state_attribute: str):
    """An ``extra_lifespan`` running one ``batcher_class`` with the service's intake settings, kept
    as ``app.state.<state_attribute>`` for its route; started after the engine exists and drained
    before it is disposed."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        settings = app.state.settings
        batcher = batcher_class(
            app.state.sessions,
            topic=settings.topic("tickets"),
            notify_public_key=settings.notify_public_key,
            max_items=settings.webhook_batch_max_items,
            linger_seconds=settings.webhook_batch_linger_seconds,
            max_queued=settings.webhook_queue_limit,
        )
        batcher.start()
        setattr(app.state, state_attribute, batcher)
        try:
            yield
        finally:
            await batcher.stop()

    return lifespan


def _refusal(exc: Exception, payload: Webhook) -> CsqError:
    """What the request of an item that could not be stored is answered: its own error, a 503
    while the database is away (the CRM retries), else a 500 that says nothing was stored."""
    if isinstance(exc, CsqError):
        return exc
    if database_unavailable(exc):
        return ServiceUnavailable(f"event {payload.event_id!r} was not stored: {DATABASE_AWAY}")
    return _not_stored(payload)


def _not_stored(payload: Webhook) -> EventNotStored:
    return EventNotStored(f"event {payload.event_id!r} could not be stored and was not accepted; retry later")
