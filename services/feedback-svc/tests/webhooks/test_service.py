"""The receipt and ticket-row races, driven through two real transactions without HTTP."""

import asyncio

import orjson
from sqlalchemy import func, select

from csq_common.bus.models import OutboxMessage
from csq_common.sealing import DEVELOPMENT_PUBLIC_KEY
from feedback_svc.tickets.models import Ticket
from feedback_svc.webhooks.schemas import parse
from feedback_svc.webhooks.service import receive_ticket_webhook
from tests.webhooks.factories import ticket_event

KEY = DEVELOPMENT_PUBLIC_KEY


async def race(app, settings, first_payload, second_payload):
    """Apply ``first`` in an open transaction, start ``second`` beside it, then commit ``first``.

    PostgreSQL: the second insert waits on the first's uncommitted key and then hits the unique
    constraint (the savepoint path). SQLite: the second transaction waits at BEGIN IMMEDIATE.
    """
    topic = settings.topic("tickets")
    async with app.state.sessions() as first, app.state.sessions() as second:
        first_result = await receive_ticket_webhook(first, parse(orjson.dumps(first_payload)), topic=topic, notify_public_key=KEY)

        async def apply_second():
            result = await receive_ticket_webhook(second, parse(orjson.dumps(second_payload)), topic=topic, notify_public_key=KEY)
            await second.commit()
            return result

        pending = asyncio.create_task(apply_second())
        await asyncio.sleep(0.3)
        assert not pending.done()  # it really waits for the first transaction
        await first.commit()
        second_result = await asyncio.wait_for(pending, 10)
    return first_result, second_result


async def outbox_types(app) -> list[str]:
    async with app.state.sessions() as session:
        payloads = (await session.execute(select(OutboxMessage.payload).order_by(OutboxMessage.id))).scalars()
        return [orjson.loads(payload)["type"] for payload in payloads]


async def test_a_concurrent_identical_delivery_is_a_duplicate_not_an_error(client, settings):
    payload = ticket_event(event_id="crm-same")
    first, second = await race(client.app, settings, payload, payload)
    assert (first.duplicate, second.duplicate) == (False, True)
    assert second.ticket_id == "T-1001"
    assert await outbox_types(client.app) == ["ticket.created"]


async def test_concurrent_first_events_of_one_ticket_both_apply_and_the_newer_state_wins(client, settings):
    newer = ticket_event("ticket.assigned", occurred_at="2026-11-20T09:00:00Z", agent_id="A-new")
    older = ticket_event("ticket.created", occurred_at="2026-11-20T08:00:00Z", agent_id="A-old")
    first, second = await race(client.app, settings, newer, older)
    assert not first.duplicate and not second.duplicate
    async with client.app.state.sessions() as session:
        ticket = await session.get(Ticket, "T-1001")
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1
    assert ticket.agent_id == "A-new" and ticket.last_event_type == "ticket.assigned"
    assert await outbox_types(client.app) == ["ticket.assigned", "ticket.created"]
