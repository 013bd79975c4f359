"""The outbox relay against a real broker and database: stalls park nothing, the parked gauge is
counted from the table, parked rows can be re-queued, and two relays on one database publish each
row once and in order per key."""

import asyncio
import subprocess
import sys
from datetime import datetime, timezone

import orjson
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from csq_common.bus import outbox
from csq_common.bus.kafka import BrokerProducer, ensure_topics
from csq_common.bus.models import OutboxMessage
from csq_common.db import create_engine, session_factory
from csq_common.events import CloudEvent
from csq_common.settings import BaseServiceSettings
from csq_testing import Broker, wait_until
from test_bus import _read_all


def _event(n: int, key: str, pad: int = 0) -> CloudEvent:
    return CloudEvent(
        id=f"e{n}", source="test", type="test.happened", time=datetime(2026, 11, 20, tzinfo=timezone.utc),
        data={"n": n, "key": key, "pad": "x" * pad},
    )


async def _add(sessions, numbers, topic: str, keys: list[str], pad: int = 0) -> None:
    async with sessions() as session:
        for n in numbers:
            await outbox.add(session, _event(n, keys[n % len(keys)], pad), topic=topic, key=keys[n % len(keys)])
        await session.commit()


async def _rows(sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        return (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()


def _first_seen_per_key(records) -> dict[str, list[int]]:
    """Each key's event numbers in the order they first appear on the topic."""
    seen: set[int] = set()
    by_key: dict[str, list[int]] = {}
    for record in records:
        data = orjson.loads(record.value)["data"]
        if data["n"] not in seen:
            seen.add(data["n"])
            by_key.setdefault(data["key"], []).append(data["n"])
    return by_key


async def test_a_broker_stall_longer_than_the_request_timeout_parks_nothing(sessions, tmp_path, topic_prefix):
    broker = Broker(log_path=tmp_path / "tansu.log").start()  # its own: this test freezes it
    settings = BaseServiceSettings(
        environment="development", kafka_bootstrap_servers=broker.bootstrap_servers, topic_prefix=topic_prefix,
        kafka_request_timeout_ms=500,
    )
    topic = settings.topic("things")
    keys = ["k1", "k2", "k3"]
    producer = BrokerProducer(settings)
    relay = outbox.OutboxRelay(sessions, producer, batch_size=40, poll_seconds=0.05, max_attempts=2)
    try:
        await ensure_topics(settings.kafka_bootstrap_servers, [topic], 3)
        producer.start()
        await wait_until(lambda: producer.connected, message="producer connected")
        relay.start()
        await _add(sessions, range(10), topic, keys)

        async def all_sent():
            rows = await _rows(sessions)
            return rows if all(row.sent_at is not None for row in rows) else None

        await wait_until(all_sent, message="first rows sent")
        broker.pause()
        # Large enough for several record batches per partition: while the first is in flight,
        # the others wait in the producer and expire with KafkaTimeoutError.
        await _add(sessions, range(10, 40), topic, keys, pad=200_000)
        await asyncio.sleep(3.0)  # six request timeouts: every round in between failed
        broker.resume()
        rows = await wait_until(all_sent, timeout=40, message="every row sent after the stall")
        assert [(row.attempts, row.last_error) for row in rows] == [(0, None)] * 40
        # All there is: a batch the broker took just as the client gave up on it comes twice.
        records = await _read_all(settings.kafka_bootstrap_servers, topic, 10_000, timeout=8)
        assert _first_seen_per_key(records) == {key: [n for n in range(40) if keys[n % 3] == key] for key in keys}
    finally:
        await relay.stop()
        await producer.stop()
        broker.stop()


async def test_the_parked_gauge_is_counted_from_the_table_and_requeue_puts_parked_rows_back(
    sessions, database_url, broker, topic_prefix
):
    settings = BaseServiceSettings(environment="development", kafka_bootstrap_servers=broker.bootstrap_servers, topic_prefix=topic_prefix)
    topic = settings.topic("things")
    await ensure_topics(settings.kafka_bootstrap_servers, [topic], 3)
    await _add(sessions, range(3), topic, ["k"])
    async with sessions() as session:  # parked by an earlier process, which then stopped
        await session.execute(update(OutboxMessage).values(attempts=5, last_error="KafkaTimeoutError()"))
        await session.commit()
    producer = BrokerProducer(settings)
    producer.start()
    relay = outbox.OutboxRelay(sessions, producer, batch_size=10, poll_seconds=0.05, max_attempts=5)
    relay.start()
    try:
        await wait_until(lambda: REGISTRY.get_sample_value("csq_outbox_parked") == 3, message="parked rows counted")
        assert all(row.sent_at is None for row in await _rows(sessions))

        requeued = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "csq_common.bus.outbox", "requeue", "--database-url", database_url],
            capture_output=True, text=True, timeout=60,
        )
        assert requeued.returncode == 0, requeued.stderr
        assert "re-queued 3 outbox row(s)" in requeued.stdout

        async def all_sent():
            rows = await _rows(sessions)
            return rows if all(row.sent_at is not None for row in rows) else None

        rows = await wait_until(all_sent, timeout=30, message="re-queued rows sent")
        assert [(row.attempts, row.last_error) for row in rows] == [(0, None)] * 3
        await wait_until(lambda: REGISTRY.get_sample_value("csq_outbox_parked") == 0, message="parked gauge back to 0")
    finally:
        await relay.stop()
        await producer.stop()


async def test_two_relays_on_one_postgres_database_publish_each_row_once_in_key_order(
    db_backend, database_url, engine, broker, topic_prefix
):
    if db_backend != "postgres":
        pytest.skip("a SQLite database belongs to one service process: one relay")
    settings = BaseServiceSettings(environment="development", kafka_bootstrap_servers=broker.bootstrap_servers, topic_prefix=topic_prefix)
    topic = settings.topic("things")
    await ensure_topics(settings.kafka_bootstrap_servers, [topic], 3)
    keys = [f"ticket-{k}" for k in range(7)]
    replicas = []
    for _ in range(2):  # two replicas: each its own engine (pool), producer and relay
        replica_engine = create_engine(database_url)
        producer = BrokerProducer(settings)
        producer.start()
        relay = outbox.OutboxRelay(session_factory(replica_engine), producer, batch_size=25, poll_seconds=0.01, linger_seconds=0)
        replicas.append((replica_engine, producer, relay))
    try:
        await wait_until(lambda: all(producer.connected for _, producer, _ in replicas), message="producers connected")
        for _, _, relay in replicas:
            relay.start()
        writes = session_factory(engine)
        for start in range(0, 600, 40):  # commits arriving while both relays poll
            await _add(writes, range(start, start + 40), topic, keys)
            await asyncio.sleep(0.01)

        async def all_sent():
            rows = await _rows(writes)
            return rows if all(row.sent_at is not None for row in rows) else None

        await wait_until(all_sent, timeout=60, message="every row sent")
        records = await _read_all(settings.kafka_bootstrap_servers, topic, 601, timeout=10)  # all there is
        numbers = [orjson.loads(record.value)["data"]["n"] for record in records]
        assert sorted(numbers) == list(range(600))  # each row exactly once
        by_key: dict[str, list[int]] = {}
        for record in records:
            data = orjson.loads(record.value)["data"]
            by_key.setdefault(data["key"], []).append(data["n"])
        assert by_key == {key: [n for n in range(600) if keys[n % 7] == key] for key in keys}
    finally:
        for replica_engine, producer, relay in replicas:
            await relay.stop()
            await producer.stop()
            await replica_engine.dispose()


def test_a_stall_a_closed_producer_and_an_unreachable_broker_are_transient_a_refusal_is_not():
    from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, MessageSizeTooLargeError, ProducerClosed

    from csq_common.bus.kafka import BrokerUnavailable, publish_error_is_transient

    # aiokafka marks the first two as not retriable: the relay used to park rows on them.
    assert publish_error_is_transient(KafkaTimeoutError()) and publish_error_is_transient(ProducerClosed())
    assert publish_error_is_transient(KafkaConnectionError()) and publish_error_is_transient(BrokerUnavailable("away"))
    assert not publish_error_is_transient(MessageSizeTooLargeError())
