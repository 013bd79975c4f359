"""Dead letters against a real broker: a record too large for its letter is cut to fit and the
consumer goes on; a letter that cannot be sent is counted and its batch comes again."""

import base64
import hashlib

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from csq_common.bus.consumer import ConsumerRunner
from csq_common.bus.kafka import BrokerProducer, BrokerUnavailable, ensure_topics
from csq_common.bus.models import InboxMessage
from csq_common.events import CloudEvent
from csq_common.settings import BaseServiceSettings
from csq_testing import TEST_SESSION_TIMEOUT_MS, wait_until
from test_bus import _event, _read_all


@pytest.fixture
def settings(broker, topic_prefix):
    return BaseServiceSettings(environment="development", kafka_bootstrap_servers=broker.bootstrap_servers, topic_prefix=topic_prefix)


async def test_a_record_too_large_for_its_dead_letter_is_cut_to_fit_and_consumption_goes_on(settings, sessions):
    things, dlq = settings.topic("things"), settings.topic("dlq")
    await ensure_topics(settings.kafka_bootstrap_servers, [things, dlq], 1)
    huge = b"\xff" + b"x" * (3 * 1024 * 1024)  # fetched (up to 4 MiB), but no valid CloudEvent
    upstream = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, max_request_size=4 * 1024 * 1024)
    await upstream.start()
    try:
        await upstream.send_and_wait(things, huge, key=b"k")
        await upstream.send_and_wait(things, _event(1).to_bytes(), key=b"k")
    finally:
        await upstream.stop()

    async def handler(session, events):
        pass

    producer = BrokerProducer(settings)
    producer.start()
    runner = ConsumerRunner(
        group="g-big", topics=[things], handler=handler, sessions=sessions, producer=producer, dlq_topic=dlq,
        bootstrap_servers=settings.kafka_bootstrap_servers, session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
    )
    runner.start()
    try:
        async def applied():
            async with sessions() as session:
                return await session.scalar(select(func.count()).select_from(InboxMessage)) == 1

        await wait_until(applied, timeout=30, message="the record after the huge one applied")
        letters = [orjson.loads(r.value) for r in await _read_all(settings.kafka_bootstrap_servers, dlq, 1)]
    finally:
        await runner.stop()
        await producer.stop()
    assert len(letters) == 1
    letter = letters[0]
    assert (letter["topic"], letter["partition"], letter["offset"], letter["key"]) == (things, 0, 0, "k")
    assert letter["value_truncated"] is True and letter["value_base64"] is None
    assert letter["value_bytes"] == len(huge) and letter["value_sha256"] == hashlib.sha256(huge).hexdigest()
    head = base64.b64decode(letter["value_head_base64"])
    assert 0 < len(head) < len(huge) and huge.startswith(head)
    assert "invalid CloudEvent" in letter["error"]


async def test_a_dead_letter_that_cannot_be_sent_is_counted_and_its_batch_is_not_acknowledged(settings, sessions):
    producer = BrokerProducer(settings)  # never started: not connected
    runner = ConsumerRunner(
        group="g-unsent", topics=["x"], handler=None, sessions=sessions, producer=producer, dlq_topic="x.dlq",
        bootstrap_servers=settings.kafka_bootstrap_servers,
    )
    record = ConsumerRecord(
        topic="x", partition=0, offset=7, timestamp=0, timestamp_type=0, key=b"k", value=b"not json",
        checksum=None, serialized_key_size=1, serialized_value_size=8, headers=(),
    )
    before = REGISTRY.get_sample_value("csq_dlq_send_failures_total", {"group": "g-unsent"}) or 0.0
    with pytest.raises(BrokerUnavailable):
        await runner.process([record])  # raises: the runner reconnects and the record comes again
    assert REGISTRY.get_sample_value("csq_dlq_send_failures_total", {"group": "g-unsent"}) == before + 1
