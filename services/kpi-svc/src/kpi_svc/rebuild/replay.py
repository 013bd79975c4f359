"""Replay kpi-svc's topics from the beginning into a database, through the consumer's own code.

Every ``ConsumerSpec`` of ``kpi_svc.consumers`` is replayed: its topics read from offset 0 of
every partition up to the end offsets seen at the start (what is published later is the live
service's business), each batch applied by ``ConsumerRunner.process`` with the spec's decoder and
handler — the inbox claim, the handler and the poison isolation of the running service — in the
target database. A record the service would dead-letter is counted and skipped, never published.
No consumer group is joined and no offset committed: the live service's group is untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.bus.consumer import ConsumerRunner
from csq_common.runtime import ConsumerSpec
from csq_common.settings import BaseServiceSettings


class DeadLetterCounter:
    """Stands in for the producer: the replay counts what the service would dead-letter."""

    def __init__(self) -> None:
        self.letters = 0

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        self.letters += 1


@dataclass
class Progress:
    """Where a replay stands: records applied, per-partition lag to the end offsets."""

    group: str
    total: int
    done: int = 0
    started: float = field(default_factory=time.monotonic)
    lag: dict[TopicPartition, int] = field(default_factory=dict)
    dead_letters: int = 0

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        lags = " ".join(f"{tp.topic}[{tp.partition}]={lag}" for tp, lag in sorted(self.lag.items()))
        return (
            f"{self.group}: {self.done}/{self.total} records, {self.rate():,.0f} events/s, "
            f"dead letters {self.dead_letters}, lag {lags or '-'}"
        )


async def replay_spec(
    spec: ConsumerSpec, settings: BaseServiceSettings, sessions: async_sessionmaker[AsyncSession], *,
    batch_size: int, report: Callable[[Progress], None], report_seconds: float = 1.0,
) -> Progress:
    """Replay ``spec``'s topics into ``sessions``' database; ``report`` is called about every
    ``report_seconds`` and once at the end."""
    topics = [settings.topic(domain) for domain in spec.domains]
    letters = DeadLetterCounter()
    runner = ConsumerRunner(
        group=spec.group, topics=topics, handler=spec.handler, sessions=sessions, producer=letters,
        dlq_topic=settings.topic("dlq"), bootstrap_servers=settings.kafka_bootstrap_servers, decode=spec.decode,
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None, enable_auto_commit=False,
        client_id=f"{spec.group}-rebuild", max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        await consumer.topics()  # fetches the metadata: the partitions of every topic
        partitions = [
            TopicPartition(topic, partition) for topic in topics for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions) if partitions else {}
        starts = await consumer.beginning_offsets(partitions) if partitions else {}
        for tp in partitions:
            consumer.seek(tp, starts[tp])
        progress = Progress(spec.group, sum(ends[tp] - starts[tp] for tp in partitions))
        progress.lag = {tp: ends[tp] - starts[tp] for tp in partitions}
        pending = {tp for tp in partitions if progress.lag[tp] > 0}
        consumer.pause(*(tp for tp in partitions if tp not in pending))
        reported = time.monotonic()
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=500, max_records=batch_size)
            records = []
            for tp, partition in batches.items():
                wanted = [record for record in partition if record.offset < ends[tp]]
                records += wanted
                if wanted:
                    progress.lag[tp] = ends[tp] - wanted[-1].offset - 1
                if progress.lag[tp] <= 0 or len(wanted) < len(partition):
                    progress.lag[tp] = 0
                    pending.discard(tp)
                    consumer.pause(tp)
            for tp in list(pending):  # offsets without records (transaction markers) end a partition too
                if await consumer.position(tp) >= ends[tp]:
                    progress.lag[tp] = 0
                    pending.discard(tp)
                    consumer.pause(tp)
            if records:
                await runner.process(records)
                progress.done += len(records)
                progress.dead_letters = letters.letters
            if time.monotonic() - reported >= report_seconds:
                report(progress)
                reported = time.monotonic()
        report(progress)
        return progress
    finally:
        await consumer.stop()
