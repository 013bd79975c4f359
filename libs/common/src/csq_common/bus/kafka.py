"""Producer, admin and topic set-up over aiokafka."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Sequence

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner

from csq_common.settings import BaseServiceSettings

log = structlog.get_logger(__name__)

DOMAINS = ("tickets", "feedback", "surveys", "audits", "kpi", "notify", "dlq")
MAX_REQUEST_BYTES = 1024 * 1024
# A record this close to the request limit is sent on its own by ``send``, which refuses one that
# is over it exactly as before (the batch path would only learn it from the broker).
_SOLO_ABOVE_BYTES = MAX_REQUEST_BYTES - 1024
_default_partitioner = DefaultPartitioner()  # what AIOKafkaProducer.send uses for a keyed record


@functools.lru_cache(maxsize=1 << 16)
def _partition_for_key(key: bytes, partitions: tuple[int, ...]) -> int:
    # Cached: its murmur2 is pure Python, and one ticket's events come in runs.
    return _default_partitioner(key, partitions, partitions)


def all_topics(settings: BaseServiceSettings) -> list[str]:
    return [settings.topic(domain) for domain in DOMAINS]


class BrokerUnavailable(ConnectionError):
    pass


class BrokerProducer:
    """An aiokafka producer that (re)connects in the background, so a service starts and serves
    HTTP while the broker is away; the outbox keeps what it cannot publish yet."""

    def __init__(self, settings: BaseServiceSettings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task | None = None

    def _new(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            client_id=self._settings.service_name,
            acks="all",
            enable_idempotence=self._settings.kafka_enable_idempotence,
            linger_ms=5,
            request_timeout_ms=10_000,
            max_batch_size=MAX_REQUEST_BYTES,
            max_request_size=MAX_REQUEST_BYTES,
        )

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="producer-connect")

    async def _connect(self) -> None:
        attempt = 0
        while self._producer is None:
            producer = self._new()
            try:
                await producer.start()
            except BaseException as exc:
                # Also when cancelled mid-start: no half-open client left (bounded: never hang).
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(producer.stop(), 5)
                if not isinstance(exc, Exception):
                    raise
                attempt += 1
                log.warning("producer.connect_failed", error=repr(exc), attempt=attempt)
                await asyncio.sleep(min(0.25 * 2**attempt, 5.0))
            else:
                self._producer = producer
                log.info("producer.connected", servers=self._settings.kafka_bootstrap_servers)

    @property
    def connected(self) -> bool:
        return self._producer is not None

    def _require(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise BrokerUnavailable("not connected to the broker yet")
        return self._producer

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> asyncio.Future:
        return await self._require().send(topic, value=value, key=key)

    async def send_many(self, records: Sequence[tuple[str, bytes, bytes]]) -> list[asyncio.Future]:
        """Queue ``(topic, key, value)`` records and return each one's delivery future.

        The records are packed into one record batch per topic partition (``send`` would queue
        each on its own: a future, a partitioner call and an accumulator lookup per record, the
        bulk of a relay's CPU), in the partition ``send`` picks for the key, in order, so one
        key's records keep their order. A record's future is its batch's. A batch that cannot be
        queued gets a failed future, like a record ``send`` refuses; BrokerUnavailable is raised.
        """
        producer = self._require()
        futures: list[asyncio.Future | None] = [None] * len(records)
        partitions: dict[str, tuple[int, ...]] = {}
        open_batches: dict[tuple[str, int], tuple[object, list[int]]] = {}

        async def flush(topic: str, partition: int, builder, indexes: list[int]) -> None:
            try:
                future = await producer.send_batch(builder, topic, partition=partition)
            except Exception as exc:
                future = _failed(exc)
            for index in indexes:
                futures[index] = future

        for index, (topic, key, value) in enumerate(records):
            if len(key) + len(value) > _SOLO_ABOVE_BYTES:
                try:
                    futures[index] = await producer.send(topic, value=value, key=key)
                except Exception as exc:
                    futures[index] = _failed(exc)
                continue
            if topic not in partitions:
                partitions[topic] = tuple(sorted(await producer.partitions_for(topic)))
            partition = _partition_for_key(key, partitions[topic])
            builder, indexes = open_batches.get((topic, partition)) or (None, [])
            if builder is None or builder.append(timestamp=None, key=key, value=value) is None:
                if builder is not None:  # full: queue it, go on in a new one
                    await flush(topic, partition, builder, indexes)
                builder, indexes = producer.create_batch(), []
                builder.append(timestamp=None, key=key, value=value)  # the first record always fits
                open_batches[(topic, partition)] = (builder, indexes)
            indexes.append(index)
        for (topic, partition), (builder, indexes) in open_batches.items():
            await flush(topic, partition, builder, indexes)
        return futures  # type: ignore[return-value]

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None):
        return await self._require().send_and_wait(topic, value=value, key=key)

    async def ping(self, timeout: float = 2.0) -> bool:
        """True if the broker answers a metadata request within ``timeout`` seconds."""
        if self._producer is None:
            return False
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout)
            return True
        except Exception:
            return False

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._producer is not None:
            # Bounded: with the broker away, flushing pending batches could wait indefinitely;
            # what was not acknowledged is still in the outbox.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._producer.stop(), 10)
            self._producer = None


def _failed(exc: BaseException) -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()
    future.set_exception(exc)
    return future


async def ensure_topics(bootstrap_servers: str, topics: list[str], partitions: int) -> list[str]:
    """Create the topics that do not exist yet; return the ones created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="csq-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            try:
                await admin.create_topics([NewTopic(t, partitions, 1) for t in missing])
            except TopicAlreadyExistsError:
                pass
        return missing
    finally:
        await admin.close()
