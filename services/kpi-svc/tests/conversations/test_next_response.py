"""Next response on one conversation worked by hand from the definition (docs/kpis.md): several
customer messages before a reply, bots and private notes, redelivery, out-of-order arrival, the
reply's dimensions; and the retention of the conversation tables."""

from datetime import datetime, timedelta

from sqlalchemy import select

from csq_common.events import TicketAssigned, TicketCreated
from csq_common.retention import RetentionWorker
from kpi_svc.consumers import handle_events
from kpi_svc.conversations.messages import Conversation
from kpi_svc.conversations.models import CustomerTicket, NextResponseState
from kpi_svc.conversations.retention import conversation_rules
from kpi_svc.kpis.service import KpiFilters, ticket_summary
from tests.conversation_oracle import Message
from tests.conversation_factories import message_event
from tests.factories import event, snapshot

T = datetime.fromisoformat
CREATED = T("2026-11-23T09:58:00+08:00")


def message(number: int, role: str, author: str | None, at: str, public: bool = True):
    return message_event(Message("T-1", f"M-{number}", role, author, public, T(at)), "wechat", "您好，请问退款什么时候到账？")


async def feed(sessions, *events) -> None:
    async with sessions() as session:
        await handle_events(session, list(events))
        await session.commit()


async def next_response(sessions, **filters):
    async with sessions() as session:
        got = await ticket_summary(session, start=CREATED - timedelta(hours=1), end=CREATED + timedelta(days=1), filters=KpiFilters(**filters))
    return got.values["next_response_avg_seconds"], got.counts["next_response_avg_seconds"]


async def test_a_conversation_worked_by_hand(sessions):
    snap = snapshot("T-1", "售后一组", "A-1", "wechat", CREATED)
    snap["customer"] = {"id": "crm:C-1"}
    first = [
        event(TicketCreated, snap, CREATED),
        message(1, "customer", None, "2026-11-23T10:00:00+08:00"),
        message(2, "customer", None, "2026-11-23T10:02:00+08:00"),  # still waiting since 10:00
        message(3, "bot", "bot-1", "2026-11-23T10:03:00+08:00"),  # a bot answers nothing
        message(4, "agent", "A-1", "2026-11-23T10:04:00+08:00", public=False),  # nor does a private note
    ]
    second = [
        message(5, "agent", "A-2", "2026-11-23T10:10:00+08:00"),  # 600 s, from the first message
        message(6, "agent", "A-2", "2026-11-23T10:12:00+08:00"),  # nothing waits
        message(7, "customer", None, "2026-11-23T11:00:00+08:00"),
    ]
    reassigned = snapshot("T-1", "技术支持", "A-3", "wechat", CREATED)
    third = [
        event(TicketAssigned, reassigned, T("2026-11-23T11:05:00+08:00")),  # the team from now on
        message(8, "agent", "A-3", "2026-11-23T11:30:00+08:00"),  # 1800 s, team 技术支持
    ]
    await feed(sessions, *first)
    assert await next_response(sessions) == (None, 0)  # nothing answered yet
    await feed(sessions, *second)
    await feed(sessions, *third)
    assert await next_response(sessions) == (1200.0, 2)
    assert await next_response(sessions, agent_id="A-2") == (600.0, 1)
    assert await next_response(sessions, team_id="售后一组") == (600.0, 1)
    assert await next_response(sessions, team_id="技术支持", agent_id="A-3", channel="wechat") == (1800.0, 1)

    # everything again under new event ids, in one batch and reversed: nothing changes
    again = [item.model_copy(update={"id": f"again-{item.id}"}) for item in (*first, *second, *third)]
    await feed(sessions, *reversed(again))
    assert await next_response(sessions) == (1200.0, 2)

    # out of order: a customer message older than the last reply seen arrives late and is dropped;
    # a reply older than it too
    await feed(sessions, message(9, "customer", None, "2026-11-23T11:20:00+08:00"))
    await feed(sessions, message(10, "agent", "A-3", "2026-11-23T11:25:00+08:00"))
    assert await next_response(sessions) == (1200.0, 2)
    # the next customer message and reply count as usual
    await feed(sessions, message(11, "customer", None, "2026-11-23T12:00:00+08:00"),
               message(12, "agent", "A-3", "2026-11-23T12:00:30+08:00"))
    assert await next_response(sessions) == (float((600 + 1800 + 30) / 3), 3)


def test_the_state_is_the_same_whichever_of_a_reply_and_a_customer_message_of_one_instant_comes_first():
    t0, t1, t2 = T("2026-11-23T10:00:00+00:00"), T("2026-11-23T10:05:00+00:00"), T("2026-11-23T10:09:00+00:00")
    one, two = Conversation(), Conversation()
    one.customer_message(t0)
    two.customer_message(t0)
    assert one.agent_reply(t1) == t0
    one.customer_message(t1)
    two.customer_message(t1)
    assert two.agent_reply(t1) == t0
    assert one == two and one.waiting_since is None  # the message of the reply's instant is answered
    assert one.agent_reply(t2) is None  # and starts no wait of its own


async def test_the_conversation_tables_are_kept_for_their_retention_period(sessions):
    snap = snapshot("T-1", "售后一组", "A-1", "wechat", CREATED)
    snap["customer"] = {"id": "crm:C-1"}
    await feed(sessions, event(TicketCreated, snap, CREATED), message(1, "customer", None, "2026-11-23T10:00:00+08:00"))
    async with sessions() as session:
        recorded = await session.scalar(select(CustomerTicket.recorded_at))
        updated = await session.scalar(select(NextResponseState.updated_at))
    rules = conversation_rules(30, 10)

    async def left():
        async with sessions() as session:
            return (
                len((await session.scalars(select(NextResponseState.ticket_id))).all()),
                len((await session.scalars(select(CustomerTicket.ticket_id))).all()),
            )

    await RetentionWorker(sessions, rules, clock=lambda: recorded + timedelta(days=9)).run_until_done()
    assert await left() == (1, 1)
    await RetentionWorker(sessions, rules, clock=lambda: recorded + timedelta(days=11)).run_until_done()
    assert await left() == (1, 0)
    await RetentionWorker(sessions, rules, clock=lambda: updated + timedelta(days=31)).run_until_done()
    assert await left() == (0, 0)
