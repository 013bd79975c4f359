"""``record_messages``, the one entry every intake path uses, without HTTP: newness per message,
repeats within one call, the derived first response's bytes, and two concurrent recorders."""

import asyncio
from datetime import datetime

import orjson
from sqlalchemy import select

from csq_common.bus.models import OutboxMessage
from csq_common.events import TicketFirstResponded, TicketSnapshot, TicketCustomer, make_event
from csq_common.db import transaction
from feedback_svc.messages.models import TicketMessage
from feedback_svc.messages.service import NewMessage, record_messages
from feedback_svc.tickets.service import SOURCE, first_responded_event_id
from tests.webhooks.factories import ticket_event

T = datetime.fromisoformat


def reply(message_id: str, at: str, *, ticket_id: str = "T-1001", role: str = "agent", public: bool = True) -> NewMessage:
    return NewMessage(
        ticket_id=ticket_id, message_id=message_id, author_role=role, author_id="A-7", public=public, sent_at=T(at),
        text="您好，退款已经处理。", language="zh-CN", crm_event_id=f"zendesk-delivery-{message_id}",
    )


async def outbox_payloads(app) -> list[dict]:
    async with app.state.sessions() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        return [orjson.loads(row.payload) for row in rows]


async def test_each_message_is_new_once_and_the_earliest_public_agent_reply_is_the_first_response(client, settings, post_webhook):
    assert (await post_webhook(ticket_event(event_id="crm-created"))).status_code == 202  # created 08:00
    topic = settings.topic("tickets")
    batch = [
        reply("M-2", "2026-11-20T08:09:00+00:00"),
        reply("M-1", "2026-11-20T08:06:00+00:00"),  # the earliest reply of the batch
        reply("M-2", "2026-11-20T08:09:00+00:00"),  # a repeat within the call
        reply("M-0", "2026-11-20T08:01:00+00:00", public=False),  # a private note
    ]
    async with transaction(client.app.state.sessions) as session:
        assert await record_messages(session, batch, topic=topic) == [True, True, False, True]
    async with transaction(client.app.state.sessions) as session:
        assert await record_messages(session, batch[:2], topic=topic) == [False, False]

    payloads = await outbox_payloads(client.app)
    assert [p["type"] for p in payloads] == ["ticket.created", *["ticket.message_added"] * 3, "ticket.first_responded"]
    derived = payloads[-1]
    snapshot = TicketSnapshot(**{**derived["data"]["ticket"], "customer": TicketCustomer(id="C-9", locale="zh-CN")})
    expected = make_event(
        TicketFirstResponded(ticket=snapshot, occurred_at=T("2026-11-20T08:06:00+00:00"), crm_event_id="zendesk-delivery-M-1"),
        source=SOURCE, subject="T-1001", time=T("2026-11-20T08:06:00+00:00"), event_id=first_responded_event_id("T-1001"),
    )
    assert derived == orjson.loads(expected.to_bytes())
    assert derived["data"]["ticket"]["first_response_at"] == "2026-11-20T08:06:00Z"
    assert derived["data"]["ticket"]["subject"] == "退款进度" and derived["data"]["ticket"]["agent_id"] == "A-7"


async def test_two_concurrent_deliveries_of_one_message_record_it_once(client, settings, post_webhook):
    assert (await post_webhook(ticket_event(event_id="crm-created"))).status_code == 202
    topic = settings.topic("tickets")

    async def deliver():
        async with transaction(client.app.state.sessions) as session:
            return await record_messages(session, [reply("M-1", "2026-11-20T08:06:00+00:00")], topic=topic)

    outcomes = await asyncio.gather(deliver(), deliver())
    assert sorted(outcomes) == [[False], [True]]
    async with client.app.state.sessions() as session:
        assert len((await session.execute(select(TicketMessage))).scalars().all()) == 1
    types = [p["type"] for p in await outbox_payloads(client.app)]
    assert types == ["ticket.created", "ticket.message_added", "ticket.first_responded"]
