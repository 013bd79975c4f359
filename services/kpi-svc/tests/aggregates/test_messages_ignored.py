"""``ticket.message_added`` shares csq.tickets with the snapshot events: kpi-svc reads it beside
them (recorded in its inbox; next response, tested in tests/conversations) and never dead-letters it."""

from datetime import datetime, timedelta

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy import select

from csq_common.bus.consumer import ConsumerRunner
from csq_common.bus.models import InboxMessage
from csq_common.events import CloudEvent, TicketClosed, TicketMessageAdded, make_event
from csq_common.db import utcnow
from csq_testing import connected_producer, wait_until
from kpi_svc.consumers import consumers, handle_events
from kpi_svc.kpis.service import KpiFilters, ticket_summary
from kpi_svc.settings import Settings
from tests.factories import event, snapshot

T = datetime.fromisoformat


class RecordingProducer:
    def __init__(self):
        self.sent = []

    async def send_and_wait(self, topic, value, key=None):
        self.sent.append((topic, value))


def record(offset: int, event: CloudEvent) -> ConsumerRecord:
    return ConsumerRecord(
        topic="csq.tickets", partition=0, offset=offset, timestamp=0, timestamp_type=0, key=b"T-1",
        value=event.to_bytes(), checksum=None, serialized_key_size=3, serialized_value_size=0, headers=[],
    )


def message_added(message_id: str, at: datetime, text: str) -> CloudEvent:
    data = TicketMessageAdded(
        ticket_id="T-1", message_id=message_id, author_role="agent", author_id="A-1", public=True, sent_at=at,
        channel="chat", text=text, language="zh-CN",
    )
    return make_event(data, source="feedback-svc", subject="T-1", time=at)


async def test_a_message_added_record_is_read_past_not_dead_lettered(sessions):
    created = T("2026-11-21T08:00:00+00:00")
    closed = event(
        TicketClosed, snapshot("T-1", "billing", "A-1", "chat", created, closed_at=created + timedelta(hours=1)),
        created + timedelta(hours=1),
    )
    messages = [
        message_added("M-1", created + timedelta(minutes=3), "您好，退款已经在处理中，请耐心等待。"),
        message_added("M-2", created + timedelta(minutes=9), "Your refund was issued today."),
    ]
    (spec,) = consumers(Settings(environment="development"))
    producer = RecordingProducer()
    runner = ConsumerRunner(
        group=spec.group, topics=["csq.tickets"], handler=handle_events, sessions=sessions, producer=producer,
        dlq_topic="csq.dlq", bootstrap_servers="unused", retry_base_seconds=0.001, decode=spec.decode,
    )
    await runner.process([record(offset, item) for offset, item in enumerate([messages[0], closed, messages[1]])])

    assert producer.sent == []  # nothing dead-lettered
    async with sessions() as session:
        inbox = sorted(await session.scalars(select(InboxMessage.event_type)))
        got = await ticket_summary(session, start=created, end=created + timedelta(days=1), filters=KpiFilters())
    assert inbox == ["ticket.closed", "ticket.message_added", "ticket.message_added"]
    assert got.values["tickets_closed"] == 1  # the closure around them still counts


async def test_through_the_broker_a_message_added_is_consumed_and_nothing_reaches_the_dlq(client, settings):
    """The running kpi-svc reads message events from the real topic past a closure; csq.dlq stays empty."""
    created = utcnow().replace(microsecond=0) - timedelta(hours=2)
    closed = event(
        TicketClosed, snapshot("T-1", "billing", "A-1", "chat", created, closed_at=created + timedelta(hours=1)),
        created + timedelta(hours=1),
    )
    sent = [
        message_added("M-1", created + timedelta(minutes=3), "您好，退款已经在处理中，请耐心等待。"),
        closed,
        message_added("M-2", created + timedelta(minutes=9), "Your refund was issued today."),
    ]
    async with connected_producer(settings) as producer:
        for item in sent:
            await producer.send_and_wait(settings.topic("tickets"), item.to_bytes(), key=b"T-1")

    async def all_recorded() -> bool:
        async with client.app.state.sessions() as session:
            return len((await session.scalars(select(InboxMessage.event_id))).all()) == 3

    await wait_until(all_recorded, timeout=30, message="the three events recorded by kpi-svc's consumer")
    params = {"from": created.isoformat(), "to": (created + timedelta(days=1)).isoformat()}
    body = (await client.get("/v1/kpis/summary", params=params, headers={"Authorization": "Bearer reader-key"})).json()
    assert body["values"]["tickets_closed"] == 1

    dlq_topic = settings.topic("dlq")
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await reader.start()
    try:
        partitions = [TopicPartition(dlq_topic, p) for p in sorted(await _partitions(reader, dlq_topic))]
        ends = await reader.end_offsets(partitions)
    finally:
        await reader.stop()
    assert partitions and sum(ends.values()) == 0  # nothing was dead-lettered


async def _partitions(reader, topic):
    await reader.topics()
    return reader.partitions_for_topic(topic) or ()
