"""The bus against a real Tansu broker: outbox relay, consumer runner, inbox, dead letters."""

import asyncio
from datetime import datetime, timezone

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select

from csq_common.bus import outbox
from csq_common.bus.consumer import ConsumerRunner
from csq_common.bus.kafka import BrokerProducer, ensure_topics
from csq_common.bus.models import InboxMessage, OutboxMessage
from csq_common.db import create_engine, is_sqlite, session_factory
from csq_common.events import CloudEvent
from csq_common.settings import BaseServiceSettings
from csq_testing import TEST_SESSION_TIMEOUT_MS, Broker, free_port, wait_until


def _event(n: int, **data) -> CloudEvent:
    return CloudEvent(id=f"e{n}", source="test", type="test.happened", time=datetime(2026, 11, 20, tzinfo=timezone.utc), data={"n": n, **data})


async def _read_all(bootstrap: str, topic: str, expected: int, timeout: float = 15) -> list:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or await wait_until(
            lambda: _partitions(consumer, topic), message=f"partitions of {topic}"
        )
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        records = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(records) < expected and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            records += [r for rs in batch.values() for r in rs]
        return records
    finally:
        await consumer.stop()


async def _partitions(consumer, topic):
    await consumer._client.force_metadata_update()  # noqa: SLF001 - fresh metadata for a new topic
    return consumer.partitions_for_topic(topic)


@pytest.fixture
def settings(broker, topic_prefix):
    return BaseServiceSettings(environment="development", kafka_bootstrap_servers=broker.bootstrap_servers, topic_prefix=topic_prefix)


@pytest.fixture
async def topics(settings):
    await ensure_topics(settings.kafka_bootstrap_servers, [settings.topic("things"), settings.topic("dlq")], 3)
    return settings.topic("things"), settings.topic("dlq")


async def test_outbox_keeps_events_while_the_broker_is_down_and_drains_in_order(sessions, tmp_path, topic_prefix):
    port = free_port()
    settings = BaseServiceSettings(environment="development", kafka_bootstrap_servers=f"127.0.0.1:{port}", topic_prefix=topic_prefix)
    producer = BrokerProducer(settings)
    producer.start()
    relay = outbox.OutboxRelay(sessions, producer, batch_size=7, poll_seconds=0.05)
    relay.start()
    broker = None
    try:
        async with sessions() as session:
            for n in range(20):
                await outbox.add(session, _event(n), topic=settings.topic("things"), key="one-key")
            await session.commit()
        await asyncio.sleep(0.5)  # no broker: nothing can be sent
        async with sessions() as session:
            assert await outbox.backlog(session) == 20

        broker = Broker(port=port, log_path=tmp_path / "tansu.log").start()
        await ensure_topics(settings.kafka_bootstrap_servers, [settings.topic("things")], 3)

        async def drained():
            async with sessions() as session:
                return await outbox.backlog(session) == 0

        await wait_until(drained, timeout=30, message="outbox drained")
        records = await _read_all(settings.kafka_bootstrap_servers, settings.topic("things"), 20)
        assert [orjson.loads(r.value)["data"]["n"] for r in records] == list(range(20))  # one key: one partition, in order
        assert {r.key for r in records} == {b"one-key"}
    finally:
        await relay.stop()
        await producer.stop()
        if broker:
            broker.stop()


async def test_nothing_is_published_for_a_rolled_back_change(sessions, settings, topics):
    async with sessions() as session:
        await outbox.add(session, _event(1), topic=topics[0], key="k")
        await session.rollback()
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def _run_consumer(settings, sessions, topics, handler, records_to_send, *, expect_dlq: int, expect_seen: int):
    things, dlq = topics
    producer = BrokerProducer(settings)
    producer.start()
    await wait_until(lambda: producer.connected, message="producer connected")
    for key, value in records_to_send:
        await producer.send_and_wait(things, value, key=key)
    runner = ConsumerRunner(
        group="g-test", topics=[things], handler=handler, sessions=sessions, producer=producer, dlq_topic=dlq,
        bootstrap_servers=settings.kafka_bootstrap_servers, batch_size=50, max_retries=2, session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
        retry_base_seconds=0.01,
    )
    runner.start()
    try:
        async def inbox_count():
            async with sessions() as session:
                return await session.scalar(select(func.count()).select_from(InboxMessage)) >= expect_seen

        await wait_until(inbox_count, timeout=30, message="events applied")
        dead = await _read_all(settings.kafka_bootstrap_servers, dlq, expect_dlq, timeout=10) if expect_dlq else []
    finally:
        await runner.stop()
        await producer.stop()
    return dead


async def test_poison_records_go_to_the_dlq_and_consumption_goes_on(settings, sessions, topics):
    applied: list[int] = []

    async def handler(session, events):
        for event in events:
            if event.data.get("poison"):
                raise ValueError(f"cannot apply {event.id}")
        applied.extend(event.data["n"] for event in events)

    records = [
        (b"k", _event(1).to_bytes()),
        (b"k", b"\xff not json"),
        (b"k", _event(2, poison=True).to_bytes()),
        (b"k", _event(3).to_bytes()),
        (b"k", _event(3).to_bytes()),  # redelivered: applied once
        (b"k", _event(4).to_bytes()),
    ]
    dead = await _run_consumer(settings, sessions, topics, handler, records, expect_dlq=2, expect_seen=3)
    assert sorted(applied) == [1, 3, 4]
    letters = [orjson.loads(r.value) for r in dead]
    assert len(letters) == 2
    assert {letter["consumer_group"] for letter in letters} == {"g-test"}
    errors = sorted(letter["error"] for letter in letters)
    assert "invalid CloudEvent" in errors[1] and "cannot apply e2" in errors[0]
    assert all(letter["topic"] == topics[0] and letter["value_base64"] for letter in letters)


async def test_a_failing_handler_rolls_back_its_inbox_claim(settings, sessions, topics):
    attempts: list[str] = []

    async def handler(session, events):
        attempts.extend(event.id for event in events)
        if any(event.id == "e7" for event in events):
            raise ValueError("always fails")

    await _run_consumer(
        settings, sessions, topics, handler, [(b"k", _event(7).to_bytes()), (b"k", _event(8).to_bytes())], expect_dlq=1, expect_seen=1
    )
    async with sessions() as session:
        seen = set((await session.execute(select(InboxMessage.event_id))).scalars())
    assert seen == {"e8"}  # e7 went to the DLQ; its inbox claim was rolled back each time
    assert attempts.count("e7") == 1 + 3  # the batch, then alone: first try and two retries


async def test_a_record_the_broker_refuses_is_parked_and_does_not_block_the_rest(sessions, settings, topics):
    producer = BrokerProducer(settings)
    producer.start()
    relay = outbox.OutboxRelay(sessions, producer, batch_size=10, poll_seconds=0.05, max_attempts=2)
    relay.start()
    try:
        async with sessions() as session:
            await outbox.add(session, _event(1), topic=topics[0], key="k")
            await outbox.add(session, _event(2, blob="x" * 2_000_000), topic=topics[0], key="k")  # over 1 MiB
            await outbox.add(session, _event(3), topic=topics[0], key="k")
            await session.commit()

        async def settled():
            async with sessions() as session:
                rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
            return rows if rows[0].sent_at and rows[2].sent_at and rows[1].attempts >= 2 else None

        rows = await wait_until(settled, timeout=30, message="good rows sent, big one parked")
        assert rows[1].sent_at is None and "TooLarge" in rows[1].last_error
        records = await _read_all(settings.kafka_bootstrap_servers, topics[0], 2)
        assert [orjson.loads(r.value)["data"]["n"] for r in records] == [1, 3]
    finally:
        await relay.stop()
        await producer.stop()


async def test_a_relay_reading_through_read_only_sessions_publishes_and_marks_every_row_sent(
    engine, sessions, database_url, settings, topics
):
    read_engine = create_engine(database_url, read_only=True) if is_sqlite(database_url) else engine
    producer = BrokerProducer(settings)
    producer.start()
    relay = outbox.OutboxRelay(sessions, producer, batch_size=4, poll_seconds=0.05, read_sessions=session_factory(read_engine))
    relay.start()
    try:
        async with sessions() as session:
            await outbox.add_many(session, [(_event(n), topics[0], "k") for n in range(10)])
            await session.commit()

        async def all_sent():
            async with sessions() as session:
                rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
            return rows if all(row.sent_at is not None for row in rows) else None

        rows = await wait_until(all_sent, timeout=30, message="every row marked sent")
        assert [row.event_id for row in rows] == [f"e{n}" for n in range(10)]
        assert all(row.sent_at.tzinfo is not None and row.attempts == 0 for row in rows)
        records = await _read_all(settings.kafka_bootstrap_servers, topics[0], 10)
        assert [orjson.loads(r.value)["data"]["n"] for r in records] == list(range(10))
    finally:
        await relay.stop()
        await producer.stop()
        if read_engine is not engine:
            await read_engine.dispose()


async def test_send_many_batches_per_partition_keeps_each_keys_order_and_refuses_an_oversized_record_alone(settings, topics):
    things = topics[0]
    producer = BrokerProducer(settings)
    producer.start()
    try:
        await wait_until(lambda: producer.connected, message="producer connected")
        keys = [f"ticket-{n}".encode() for n in range(6)]
        # 2,400 records of ~1 KiB: more than one 1 MiB record batch for some partitions.
        records = [(things, keys[n % 6], orjson.dumps({"key": n % 6, "n": n, "pad": "x" * 1000})) for n in range(2400)]
        records.insert(700, (things, keys[0], b"y" * 2_000_000))  # over the request limit
        futures = await producer.send_many(records)
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        assert len(outcomes) == len(records)
        assert "TooLarge" in type(outcomes[700]).__name__
        assert not any(isinstance(outcome, BaseException) for index, outcome in enumerate(outcomes) if index != 700)
        assert len({id(future) for future in futures}) < 20  # batches, not a future per record
        # The partition each key goes to is the one ``send`` picks for it.
        expected_partition = {key: (await producer.send_and_wait(things, b"probe", key=key)).partition for key in keys}

        read = await _read_all(settings.kafka_bootstrap_servers, things, 2400 + len(keys), timeout=30)
        by_key: dict[bytes, list[int]] = {}
        for record in read:
            if record.value == b"probe":
                continue
            assert record.partition == expected_partition[record.key]
            by_key.setdefault(record.key, []).append(orjson.loads(record.value)["n"])
        assert {key: numbers for key, numbers in by_key.items()} == {
            keys[k]: [n for n in range(2400) if n % 6 == k] for k in range(6)
        }
    finally:
        await producer.stop()
