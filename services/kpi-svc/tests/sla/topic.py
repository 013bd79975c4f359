"""Read back what the outbox relay published: every record of a topic, from the beginning."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select

from csq_common.bus.models import OutboxMessage
from csq_common.events import CloudEvent
from csq_testing import wait_until


async def outbox_drained(app) -> bool:
    async with app.state.sessions() as session:
        total = await session.scalar(select(func.count()).select_from(OutboxMessage))
        unsent = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
    return total > 0 and unsent == 0


async def published(app, settings, domain: str = "tickets") -> list[tuple[str, CloudEvent]]:
    """(key, event) of every record on the domain's topic, once the outbox has none unsent.

    Manual assignment (no group join) from the beginning up to the end offsets: fast, and it
    proves there is nothing extra on the topic.
    """
    await wait_until(lambda: outbox_drained(app), timeout=10, message="outbox relay published everything")
    topic = settings.topic(domain)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # refreshes the cluster metadata partitions_for_topic reads
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        assert partitions, f"topic {topic} has no partitions"

        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records = []

        async def caught_up() -> bool:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
            positions = [await consumer.position(tp) for tp in partitions]
            return all(position >= end[tp] for position, tp in zip(positions, partitions))

        await wait_until(caught_up, timeout=10, message=f"all records of {topic}")
    finally:
        await consumer.stop()
    records.sort(key=lambda record: (record.partition, record.offset))  # one key, one partition: in order
    return [(record.key.decode(), CloudEvent.from_bytes(record.value)) for record in records]
