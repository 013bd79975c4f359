"""Consumer runner: poll a batch, claim it in the inbox, apply it in one transaction, commit offsets.

- A batch of up to ``batch_size`` records is applied in a single database transaction together
  with its inbox rows; the Kafka offsets are committed only after that commit succeeds.
- A record whose envelope cannot be parsed goes to the dead-letter topic at once.
- If the batch transaction fails because the database is unreachable (a transient error), it is
  retried ``max_retries`` times with backoff and then the runner reconnects without committing,
  so the batch comes again: an outage never sends good events to the DLQ.
- If it fails for any other reason, the batch is split in halves until the failing events are
  alone (a single event gets bounded retries); those go to the dead-letter topic with the error
  and the original record, and the rest is applied.
- Nothing is skipped silently: every record either takes effect, was already applied (inbox), or
  lands in the DLQ before its offset is committed. A dead letter is cut to fit the producer's
  request limit (records are fetched up to four times larger), so it can always be sent; a send
  that fails anyway is counted (``csq_dlq_send_failures_total``) and the batch comes again.
- ``stop(timeout)`` returns within ``timeout`` whatever the broker does.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from csq_common.bus import inbox, metrics
from csq_common.bus.kafka import MAX_REQUEST_BYTES
from csq_common.db import database_unavailable, transaction, utcnow
from csq_common.events import CloudEvent
from csq_common.logging import redact
from csq_common.worker import DEFAULT_STOP_SECONDS, settle, within

log = structlog.get_logger(__name__)

BatchHandler = Callable[[AsyncSession, list], Awaitable[None]]
#: Record value → an event with at least ``id`` and ``type``; raises for poison. The default,
#: ``CloudEvent.from_bytes``, builds the pydantic envelope; a consumer that must keep up with a
#: whole topic passes a msgspec decoder from ``csq_common.decoding`` (kpi-svc does).
Decoder = Callable[[bytes], Any]


@dataclass
class Received:
    record: ConsumerRecord
    event: Any
    error: str | None = None


#: A dead letter stays this far under the producer's request limit (record batch framing, key).
_DEAD_LETTER_BYTES = MAX_REQUEST_BYTES - 64 * 1024
_DEAD_LETTER_KEY_BYTES = 1024
_DEAD_LETTER_ERROR_CHARS = 8192
#: What is kept of a value too large for its dead letter.
_DEAD_LETTER_HEAD_BYTES = 64 * 1024


def dead_letter(record: ConsumerRecord, *, group: str, error: str) -> bytes:
    """The DLQ message: the error, where the record came from, and the record itself.

    ``value_base64`` is the whole value when the letter fits the producer's request limit;
    otherwise it is null, ``value_truncated`` is true and ``value_head_base64`` holds the value's
    first bytes. ``value_sha256`` and ``value_bytes`` always describe the whole value."""
    value = record.value or b""
    key = record.key.decode("utf-8", "replace") if record.key is not None else None
    letter = {
        "consumer_group": group,
        "error": error if len(error) <= _DEAD_LETTER_ERROR_CHARS else error[:_DEAD_LETTER_ERROR_CHARS] + "…",
        "failed_at": utcnow().isoformat(),
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp_ms": record.timestamp,
        "key": key if key is None or len(key) <= _DEAD_LETTER_KEY_BYTES else key[:_DEAD_LETTER_KEY_BYTES],
        "key_truncated": key is not None and len(key) > _DEAD_LETTER_KEY_BYTES,
        "value_bytes": len(value),
        "value_sha256": hashlib.sha256(value).hexdigest(),
        "value_truncated": False,
        "value_base64": base64.b64encode(value).decode(),
    }
    encoded = orjson.dumps(letter)
    if len(encoded) <= _DEAD_LETTER_BYTES:
        return encoded
    letter.update(
        value_truncated=True, value_base64=None, value_head_base64=base64.b64encode(value[:_DEAD_LETTER_HEAD_BYTES]).decode()
    )
    return orjson.dumps(letter)


def dead_letter_key(record: ConsumerRecord) -> bytes | None:
    """The dead letter's Kafka key: the record's, cut like the letter's ``key``."""
    return record.key[:_DEAD_LETTER_KEY_BYTES] if record.key is not None else None


class DatabaseUnavailable(RuntimeError):
    """Transient failures outlasted the retries: reconnect and take the batch again."""


class ConsumerRunner:
    def __init__(
        self,
        *,
        group: str,
        topics: list[str],
        handler: BatchHandler,
        sessions: async_sessionmaker[AsyncSession],
        producer,
        dlq_topic: str,
        bootstrap_servers: str,
        batch_size: int = 1000,
        max_retries: int = 3,
        session_timeout_ms: int = 6000,
        retry_base_seconds: float = 0.05,
        decode: Decoder = CloudEvent.from_bytes,
        group_id: str | None = None,
    ) -> None:
        self.group = group
        self.group_id = group_id or group  # on the broker; ``group`` names it in the inbox and metrics
        self.topics = topics
        self._handler = handler
        self._sessions = sessions
        self._producer = producer
        self._dlq_topic = dlq_topic
        self._bootstrap_servers = bootstrap_servers
        self._batch_size = batch_size
        self._max_retries = max_retries
        self._session_timeout_ms = session_timeout_ms
        self._retry_base_seconds = retry_base_seconds
        self._decode_value = decode
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task | None = None
        self.connected = False
        self._lag_updated = 0.0
        self._stopping = False
        self._close_seconds = DEFAULT_STOP_SECONDS

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.group}")

    async def stop(self, timeout: float = DEFAULT_STOP_SECONDS) -> bool:
        """Cancel the runner; True if it (and its Kafka client) ended within ``timeout`` seconds.

        The flag as well as the cancel: library code can swallow a cancellation (see
        ``PollingWorker.stop``), and the loop must not go on after it."""
        self._stopping = True
        self._close_seconds = timeout * 0.8  # leaving the group is the last thing the task does
        if self._task is None:
            return True
        return await settle(self._task, timeout, cancel=True)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            consumer = AIOKafkaConsumer(
                *self.topics,
                bootstrap_servers=self._bootstrap_servers,
                group_id=self.group_id,
                client_id=self.group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=self._session_timeout_ms,
                heartbeat_interval_ms=max(self._session_timeout_ms // 6, 100),
                max_poll_interval_ms=300_000,
                max_partition_fetch_bytes=4 * 1024 * 1024,
            )
            try:
                await consumer.start()
                self._consumer = consumer
                self.connected = True
                failures = 0
                log.info("consumer.started", group=self.group, topics=self.topics)
                while not self._stopping:
                    batches = await consumer.getmany(timeout_ms=500, max_records=self._batch_size)
                    records = [record for partition in batches.values() for record in partition]
                    if records:
                        await self.process(records)
                        await consumer.commit(
                            {
                                TopicPartition(tp.topic, tp.partition): partition[-1].offset + 1
                                for tp, partition in batches.items()
                                if partition
                            }
                        )
                    await self._update_lag(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker away or rebalance trouble: reconnect, nothing committed
                failures += 1
                self.connected = False
                log.warning("consumer.restarting", group=self.group, error=repr(exc), attempt=failures)
                await asyncio.sleep(min(0.5 * 2**failures, 10.0))
            finally:
                self.connected = False
                self._consumer = None
                # Bounded: leaving the group and closing connections wait on a broker that may
                # never answer.
                await within(consumer.stop(), self._close_seconds, name=f"consumer-{self.group}-close")

    async def _update_lag(self, consumer: AIOKafkaConsumer) -> None:
        now = time.monotonic()
        if now - self._lag_updated < 2.0:
            return
        self._lag_updated = now
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            position = await consumer.position(tp)
            metrics.CONSUMER_LAG.labels(group=self.group, topic=tp.topic, partition=str(tp.partition)).set(
                max(highwater - position, 0)
            )

    async def process(self, records: list[ConsumerRecord]) -> None:
        """Apply ``records`` exactly once in effect; poison goes to the DLQ. Offsets are the caller's."""
        received = [self._decode(record) for record in records]
        poison = [(r.record, r.error) for r in received if r.event is None]
        good = [r for r in received if r.event is not None]
        started = time.perf_counter()
        if good:
            poison += await self._apply_isolating_poison(good)
        for record, error in poison:
            await self._send_to_dlq(record, error)
        metrics.CONSUMER_BATCH_SECONDS.labels(group=self.group).observe(time.perf_counter() - started)
        metrics.CONSUMER_EVENTS.labels(group=self.group).inc(len(records))

    def _decode(self, record: ConsumerRecord) -> Received:
        try:
            return Received(record, self._decode_value(record.value or b""))
        except Exception as exc:
            return Received(record, None, redact(f"invalid CloudEvent: {exc}"))

    async def _apply_isolating_poison(self, items: list[Received]) -> list[tuple[ConsumerRecord, str]]:
        """Apply ``items``; if that fails for good, split in halves (keeping order) until the
        events that cannot be applied are alone, and return those. One poison event in a batch of
        n costs about 2·log2(n) extra transactions, not n."""
        if await self._apply_with_retries(items):
            return []
        if len(items) == 1:
            return [(items[0].record, items[0].error or "unknown error")]
        middle = len(items) // 2
        return await self._apply_isolating_poison(items[:middle]) + await self._apply_isolating_poison(items[middle:])

    async def _apply_with_retries(self, items: list[Received]) -> bool:
        """True once applied; False on a non-transient failure (at once for several events, after
        retries for a single one). Transient failures (``db.database_unavailable``) are retried
        and, if they outlast the retries, raise DatabaseUnavailable."""

        def worth_retrying(exc: BaseException) -> bool:  # never a cancellation (tenacity sees those too)
            return isinstance(exc, Exception) and (database_unavailable(exc) or len(items) == 1)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries + 1),
            wait=wait_exponential(multiplier=self._retry_base_seconds),
            retry=retry_if_exception(worth_retrying),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._apply(items, attempt.retry_state.attempt_number)
        except Exception as exc:
            if database_unavailable(exc):
                raise DatabaseUnavailable(items[0].error) from exc
            return False
        return True

    async def _apply(self, items: list[Received], attempt: int) -> None:
        """One transaction: claim the events in the inbox, apply the new ones, commit."""
        try:
            async with transaction(self._sessions) as session:
                new_events = await inbox.claim(session, self.group, [(i.record.topic, i.event) for i in items])
                if new_events:
                    await self._handler(session, new_events)
        except Exception as exc:
            error = redact("".join(traceback.format_exception_only(exc)).strip())  # no customer values
            for item in items:
                item.error = error
            log.warning(
                "consumer.apply_failed", group=self.group, events=len(items), attempt=attempt,
                transient=database_unavailable(exc), error=error,
            )
            raise

    async def _send_to_dlq(self, record: ConsumerRecord, error: str) -> None:
        try:
            await self._producer.send_and_wait(
                self._dlq_topic, dead_letter(record, group=self.group, error=error), key=dead_letter_key(record)
            )
        except Exception as exc:
            # The batch's offsets stay uncommitted: the runner reconnects and the record comes again.
            metrics.DLQ_SEND_FAILURES.labels(group=self.group).inc()
            log.error("consumer.dead_letter_failed", group=self.group, topic=record.topic, offset=record.offset, error=repr(exc))
            raise
        metrics.DLQ_MESSAGES.labels(group=self.group).inc()
        log.error("consumer.dead_lettered", group=self.group, topic=record.topic, offset=record.offset, error=error)
