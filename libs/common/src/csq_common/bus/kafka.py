"""Producer, admin and topic set-up over aiokafka."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from csq_common.settings import BaseServiceSettings

log = structlog.get_logger(__name__)

DOMAINS = ("tickets", "feedback", "surveys", "audits", "kpi", "notify", "dlq")


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
            max_batch_size=1024 * 1024,
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
