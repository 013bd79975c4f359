"""Producer, admin and topic set-up over aiokafka."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaTimeoutError, ProducerClosed, TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from csq_common.settings import BaseServiceSettings
from csq_common.worker import DEFAULT_STOP_SECONDS, Deadline, settle, within

log = structlog.get_logger(__name__)

DOMAINS = ("tickets", "calls", "feedback", "surveys", "audits", "kpi", "notify", "dlq")
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


def publish_error_is_transient(exc: BaseException) -> bool:
    """True if a failed send says the broker is away, stalled or not ready (send again later), not
    that it refuses the record for good (too large, not authorised). aiokafka marks a request that
    timed out and a closed producer as not retriable; for an outbox both are a broker stall."""
    if isinstance(exc, (KafkaTimeoutError, ProducerClosed, ConnectionError, TimeoutError)):
        return True
    return bool(getattr(exc, "retriable", False))


class BrokerProducer:
    """An aiokafka producer that (re)connects in the background, so a service starts and serves
    HTTP while the broker is away; the outbox keeps what it cannot publish yet."""

    def __init__(self, settings: BaseServiceSettings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task | None = None
        self._chains: set[asyncio.Task] = set()

    def _new(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            client_id=self._settings.service_name,
            acks="all",
            enable_idempotence=self._settings.kafka_enable_idempotence,
            linger_ms=5,
            request_timeout_ms=self._settings.kafka_request_timeout_ms,
            max_batch_size=MAX_REQUEST_BYTES,
            max_request_size=MAX_REQUEST_BYTES,
        )

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="producer-connect")

    async def _connect(self) -> None:
        """Start a producer, again and again with backoff until the broker answers."""

        def failed(state) -> None:
            log.warning("producer.connect_failed", error=repr(state.outcome.exception()), attempt=state.attempt_number)

        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=0.25, min=0.5, max=5.0),
            retry=retry_if_exception_type(Exception),
            before_sleep=failed,
        )
        async for attempt in retrying:
            with attempt:
                self._producer = await self._started()
        log.info("producer.connected", servers=self._settings.kafka_bootstrap_servers)

    async def _started(self) -> AIOKafkaProducer:
        producer = self._new()
        try:
            await producer.start()
        except BaseException:
            # Also when cancelled mid-start: no half-open client left (bounded: never hang).
            await within(producer.stop(), 5.0, name="producer-abandoned-start")
            raise
        return producer

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

        The records are packed into record batches per topic partition (``send`` would queue each
        on its own: a future, a partitioner call and an accumulator lookup per record, the bulk of
        a relay's CPU), in the partition ``send`` picks for the key, in order. A partition's
        batches are sent one after the other, each once the one before it is acknowledged, and
        after a transient failure the rest of that partition is not sent at all (their futures
        fail with the same error): so a later batch of a key is never published while an earlier
        one is still to be retried. A record's future is its batch's. BrokerUnavailable is raised.
        """
        producer = self._require()
        loop = asyncio.get_running_loop()
        outcomes: list[asyncio.Future | None] = [None] * len(records)
        partitions: dict[str, tuple[int, ...]] = {}
        chains: dict[tuple[str, int], list[tuple[Callable[[], Awaitable[asyncio.Future]], asyncio.Future]]] = {}
        open_batches: dict[tuple[str, int], tuple[object, asyncio.Future]] = {}

        for index, (topic, key, value) in enumerate(records):
            if topic not in partitions:
                partitions[topic] = tuple(sorted(await producer.partitions_for(topic)))
            partition = _partition_for_key(key, partitions[topic])
            chain = chains.setdefault((topic, partition), [])
            if len(key) + len(value) > _SOLO_ABOVE_BYTES:
                outcome = _quiet_future(loop)
                chain.append((functools.partial(producer.send, topic, value=value, key=key, partition=partition), outcome))
                open_batches.pop((topic, partition), None)  # what follows goes in a batch after it
            else:
                builder, outcome = open_batches.get((topic, partition)) or (None, None)
                if builder is None or builder.append(timestamp=None, key=key, value=value) is None:
                    builder, outcome = producer.create_batch(), _quiet_future(loop)
                    builder.append(timestamp=None, key=key, value=value)  # the first record always fits
                    open_batches[(topic, partition)] = (builder, outcome)
                    chain.append((functools.partial(producer.send_batch, builder, topic, partition=partition), outcome))
            outcomes[index] = outcome
        for chain in chains.values():
            task = asyncio.ensure_future(_send_in_order(chain))
            self._chains.add(task)
            task.add_done_callback(self._chains.discard)
        return outcomes  # type: ignore[return-value]

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

    async def stop(self, timeout: float = DEFAULT_STOP_SECONDS) -> bool:
        """Flush and close within ``timeout`` seconds; True if that was enough. With the broker away
        the flush would wait for ever: what was not acknowledged is still in the outbox."""
        deadline = Deadline(timeout)
        if self._task is not None:
            await settle(self._task, deadline.until(0.2), cancel=True)
        producer, self._producer = self._producer, None
        if producer is None:
            return True
        return await within(producer.stop(), deadline.until(), name="producer-stop")


def _quiet_future(loop: asyncio.AbstractEventLoop) -> asyncio.Future:
    """A delivery future whose failure is not reported as "never retrieved" if nobody awaits it."""
    future = loop.create_future()
    future.add_done_callback(lambda done: done.cancelled() or done.exception())
    return future


async def _send_in_order(chain: list[tuple[Callable[[], Awaitable[asyncio.Future]], asyncio.Future]]) -> None:
    """Send one partition's batches one after the other (see ``BrokerProducer.send_many``)."""
    failure: BaseException | None = None
    for queue, outcome in chain:
        if failure is not None:
            outcome.set_exception(failure)
            continue
        try:
            outcome.set_result(await (await queue()))
        except Exception as exc:
            if not outcome.done():
                outcome.set_exception(exc)
            if publish_error_is_transient(exc):
                failure = exc
        except BaseException as exc:  # cancelled with the producer: what is left is not sent
            for _, left in chain:
                if not left.done():
                    left.set_exception(ProducerClosed())
            raise exc


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
