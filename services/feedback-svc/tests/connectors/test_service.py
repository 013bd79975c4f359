"""Vendor changes applied in batches (the group commit) and concurrently, without HTTP."""

import asyncio
from datetime import datetime, timezone

import orjson
from sqlalchemy import func, select

from csq_common.bus.models import OutboxMessage
from csq_common.db import transaction
from csq_common.sealing import DEVELOPMENT_PUBLIC_KEY
from feedback_svc.connectors import service, zendesk
from feedback_svc.tickets.models import Ticket
from tests.connectors.payloads import zendesk_comment, zendesk_event, zendesk_status

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def parsed(payload):
    return zendesk.parse(orjson.dumps(payload), {}, received_at=NOW)


async def apply(app, settings, payloads):
    async with transaction(app.state.sessions) as session:
        return await service.receive_changes(
            session, [(parsed(p), NOW) for p in payloads], topic=settings.topic("tickets"), notify_public_key=DEVELOPMENT_PUBLIC_KEY,
        )


async def test_changes_of_one_ticket_in_one_batch_merge_in_order_and_a_repeat_is_a_duplicate(client, settings):
    created = zendesk_event("created", time="2026-11-20T08:00:00Z")
    reply = zendesk_comment(comment_id="7301", body="您好，已经帮您加急。", author_id="90017", is_staff=True,
                            time="2026-11-20T08:10:00Z", status="OPEN", assignee_id="90017")
    solved = zendesk_status("OPEN", "SOLVED", time="2026-11-20T09:00:00Z", assignee_id="90017")
    results = await apply(client.app, settings, [created, reply, created, solved])
    assert [(r.duplicate, r.events) for r in results] == [
        (False, ["ticket.created"]),
        (False, ["ticket.assigned", "ticket.first_responded"]),
        (True, []),
        (False, ["ticket.resolved", "ticket.closed"]),
    ]
    assert results[1].message.author_role == "agent" and results[1].message.text == "您好，已经帮您加急。"
    async with client.app.state.sessions() as session:
        ticket = await session.get(Ticket, "zendesk:48213")
        assert ticket.status == "resolved" and ticket.first_response_at.isoformat() == "2026-11-20T08:10:00+00:00"
        # created, assigned, first_responded, resolved, closed, and the reply's ticket.message_added
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 6
    again = await apply(client.app, settings, [solved, reply])
    assert [r.duplicate for r in again] == [True, True]


async def test_concurrent_batches_of_one_ticket_both_apply_and_publish_once_each(client, settings):
    await apply(client.app, settings, [zendesk_event("created", time="2026-11-20T08:00:00Z")])
    first = zendesk_status("OPEN", "SOLVED", time="2026-11-20T09:00:00Z")
    second = zendesk_event("priority_changed", time="2026-11-20T09:30:00Z", priority="URGENT", status="SOLVED",
                           event={"current": "URGENT", "previous": "NORMAL"})
    results = await asyncio.gather(apply(client.app, settings, [first]), apply(client.app, settings, [second]))
    events = sorted(event for batch in results for r in batch for event in r.events)
    assert events == ["ticket.closed", "ticket.resolved"]  # resolved once, whichever committed first
    async with client.app.state.sessions() as session:
        ticket = await session.get(Ticket, "zendesk:48213")
        assert (ticket.status, ticket.priority) == ("resolved", "urgent")
