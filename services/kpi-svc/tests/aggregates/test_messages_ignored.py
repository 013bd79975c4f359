"""``ticket.message_added`` shares csq.tickets with the snapshot events: kpi-svc reads past it
(recorded in its inbox, no KPI effect yet) and never dead-letters it."""

from datetime import datetime, timedelta

from aiokafka import ConsumerRecord
from sqlalchemy import select

from csq_common.bus.consumer import ConsumerRunner
from csq_common.bus.models import InboxMessage
from csq_common.events import CloudEvent, TicketClosed, TicketMessageAdded, make_event
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
