"""Retention of the SLA tables: only what is finished goes; a breached timer still running keeps
its notice, so it is never notified twice."""

from datetime import timedelta

from sqlalchemy import select

from csq_common.db import utcnow
from csq_common.events import TicketClosed, TicketCreated, TicketFirstResponded
from csq_common.retention import RetentionWorker
from kpi_svc.sla.models import SlaNotice, SlaTicket, SlaTimer
from kpi_svc.sla.notices import publish_notices
from kpi_svc.sla.retention import sla_rules
from tests.sla.factories import add_policy, feed, ticket_event


async def test_finished_clocks_timers_and_their_notices_go_after_the_period(sessions):
    now = utcnow()
    old = now - timedelta(days=40)
    await add_policy(sessions, old - timedelta(days=1), first_response_seconds=600, resolution_seconds=3600)
    done = dict(first_response_at=old + timedelta(minutes=20), resolved_at=old + timedelta(hours=2), closed_at=old + timedelta(hours=2))
    await feed(
        sessions,
        ticket_event(TicketCreated, "T-old", old, old, status="open"),
        ticket_event(TicketFirstResponded, "T-old", old + timedelta(minutes=20), old, status="open", first_response_at=done["first_response_at"]),
        ticket_event(TicketCreated, "T-stuck", old, old, status="open"),
        ticket_event(TicketCreated, "T-new", now - timedelta(hours=3), now - timedelta(hours=3), status="open"),
    )
    async with sessions() as session:  # the breaches, 40 days ago
        await publish_notices(session, topic="csq.kpi", now=old + timedelta(hours=1, minutes=1), warning_before=timedelta(minutes=15), limit=100)
        await session.commit()
    await feed(sessions, ticket_event(TicketClosed, "T-old", old + timedelta(hours=2), old, status="closed", **done))

    await RetentionWorker(sessions, sla_rules(30), batch_size=2).run_until_done()
    async with sessions() as session:
        tickets = set((await session.execute(select(SlaTicket.ticket_id))).scalars())
        timers = set((await session.execute(select(SlaTimer.ticket_id, SlaTimer.metric))).all())
        notices = set((await session.execute(select(SlaNotice.ticket_id, SlaNotice.metric, SlaNotice.kind))).all())
    assert tickets == {"T-stuck", "T-new"}
    assert timers == {("T-stuck", "first_response"), ("T-stuck", "resolution"), ("T-new", "first_response"), ("T-new", "resolution")}
    assert notices == {("T-stuck", "first_response", "breach"), ("T-stuck", "resolution", "breach")}
