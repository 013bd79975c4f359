"""Ticket intake: what the consumer keeps of closures and survey answers, idempotently."""

from datetime import timedelta

from sqlalchemy import select

from csq_testing import connected_producer, wait_until
from audit_svc.consumers import handle_events
from audit_svc.tickets.models import ClosedTicket, TicketSurveyAnswer
from tests.tickets.factories import T0, answered, closed, cloud_event


async def kept(sessions):
    async with sessions() as session:
        tickets = {row.ticket_id: row for row in (await session.execute(select(ClosedTicket))).scalars()}
        answers = {row.response_id: row for row in (await session.execute(select(TicketSurveyAnswer))).scalars()}
    return tickets, answers


async def handle(sessions, events):
    async with sessions() as session:
        await handle_events(session, events)
        await session.commit()


async def test_closure_keeps_what_sampling_needs_and_redelivery_changes_nothing(sessions):
    first = cloud_event(closed("T-1", tags=["refund", "complaint"], reopen_count=1, handle_seconds=1200, contact_count=2))
    survey = cloud_event(answered("T-1", response_id="R-1", csat=2, nps=3))
    await handle(sessions, [first, survey])
    await handle(sessions, [first, survey])  # redelivered: the same rows, no error
    tickets, answers = await kept(sessions)
    ticket = tickets["T-1"]
    assert (ticket.agent_id, ticket.team_id, ticket.channel, ticket.priority) == ("A-7", "billing", "email", "normal")
    assert ticket.tags == ["refund", "complaint"] and ticket.complaint is True
    assert (ticket.reopen_count, ticket.contact_count, ticket.handle_seconds) == (1, 2, 1200)
    assert ticket.created_at == T0 - timedelta(hours=2) and ticket.closed_at == T0
    assert ticket.first_response_seconds == 12 * 60
    assert len(answers) == 1 and (answers["R-1"].ticket_id, answers["R-1"].csat, answers["R-1"].nps) == ("T-1", 2, 3)


async def test_a_later_closure_replaces_an_earlier_one_but_not_the_other_way(sessions):
    later = T0 + timedelta(days=3)
    await handle(sessions, [cloud_event(closed("T-1", closed_at=later, agent_id="A-8", tags=[]))])
    await handle(sessions, [cloud_event(closed("T-1", closed_at=T0))])  # older, arrives late
    ticket = (await kept(sessions))[0]["T-1"]
    assert (ticket.closed_at, ticket.agent_id, ticket.complaint) == (later, "A-8", False)
    await handle(sessions, [cloud_event(closed("T-1", closed_at=later + timedelta(days=1), tags=["complaint"]))])
    ticket = (await kept(sessions))[0]["T-1"]
    assert (ticket.closed_at, ticket.agent_id, ticket.complaint) == (later + timedelta(days=1), "A-7", True)


async def test_answers_without_ticket_or_csat_nps_are_not_kept(sessions):
    no_scores = answered("T-2", response_id="R-2", csat=None, nps=None)
    no_ticket = answered("T-3", response_id="R-3", csat=1).model_copy(update={"ticket_id": None})
    await handle(sessions, [cloud_event(no_scores), cloud_event(no_ticket), cloud_event(answered("T-4", response_id="R-4", csat=5))])
    assert set((await kept(sessions))[1]) == {"R-4"}


async def test_consumer_keeps_closures_from_the_broker(client, settings):
    event = cloud_event(closed("T-9"))
    async with connected_producer(settings) as producer:
        for _ in range(2):
            await producer.send_and_wait(settings.topic("tickets"), event.to_bytes(), key=b"T-9")
        await producer.send_and_wait(settings.topic("surveys"), cloud_event(answered("T-9", response_id="R-9", csat=1)).to_bytes(), key=b"R-9")

    async def both():
        tickets, answers = await kept(client.app.state.sessions)
        return tickets if "T-9" in tickets and "R-9" in answers else None

    assert (await wait_until(both, message="ticket and answer kept"))["T-9"].complaint is False
