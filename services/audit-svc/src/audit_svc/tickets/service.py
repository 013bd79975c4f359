"""Ticket intake: ``ticket.closed`` and ``survey.answered`` become the rows sampling reads.

Both functions are idempotent, so a redelivered event (or one the inbox let through after a
restore) changes nothing: a closure older than the one kept is ignored, a response already kept
is left alone. Nothing here commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from csq_common.sql import insert_unless_exist
from csq_common.events import SurveyAnswered, TicketClosed
from audit_svc.tickets.models import COMPLAINT_TAG, ClosedTicket, TicketSurveyAnswer


def _fields(event: TicketClosed) -> dict:
    ticket = event.ticket
    closed_at = ticket.closed_at or event.occurred_at
    first_response_seconds = None
    if ticket.first_response_at is not None:
        first_response_seconds = max((ticket.first_response_at - ticket.created_at).total_seconds(), 0.0)
    return {
        "agent_id": ticket.agent_id,
        "team_id": ticket.team_id,
        "channel": ticket.channel,
        "priority": ticket.priority,
        "tags": list(ticket.tags),
        "complaint": COMPLAINT_TAG in ticket.tags,
        "created_at": ticket.created_at,
        "first_response_at": ticket.first_response_at,
        "first_response_seconds": first_response_seconds,
        "closed_at": closed_at,
        "handle_seconds": ticket.handle_seconds,
        "reopen_count": ticket.reopen_count,
        "contact_count": ticket.contact_count,
    }


async def record_closures(session: AsyncSession, events: list[TicketClosed]) -> None:
    """Keep each ticket's latest closure: a new ticket is added, a later closure (after a reopen)
    replaces the one kept, an older or repeated one is ignored."""
    latest: dict[str, dict] = {}
    for event in events:
        fields = _fields(event)
        kept = latest.get(event.ticket.id)
        if kept is None or fields["closed_at"] >= kept["closed_at"]:
            latest[event.ticket.id] = fields
    if not latest:
        return
    existing = {
        row.ticket_id: row
        for row in (await session.execute(select(ClosedTicket).where(ClosedTicket.ticket_id.in_(list(latest))))).scalars()
    }
    now = utcnow()
    for ticket_id, fields in latest.items():
        row = existing.get(ticket_id)
        if row is None:
            session.add(ClosedTicket(ticket_id=ticket_id, updated_at=now, **fields))
        elif fields["closed_at"] >= row.closed_at:
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = now
    await session.flush()


def _lowest(event: SurveyAnswered, kind: str) -> int | None:
    values = [answer.value for answer in event.answers if answer.type == kind]
    return min(values) if values else None


async def record_answers(session: AsyncSession, events: list[SurveyAnswered]) -> None:
    """Keep the CSAT/NPS answers of responses about a ticket, once per response."""
    rows = {}
    for event in events:
        if event.ticket_id is None:
            continue
        csat, nps = _lowest(event, "csat"), _lowest(event, "nps")
        if csat is None and nps is None:
            continue
        rows.setdefault(
            event.response_id,
            {"response_id": event.response_id, "ticket_id": event.ticket_id, "csat": csat, "nps": nps, "answered_at": event.answered_at},
        )
    await insert_unless_exist(session, TicketSurveyAnswer.__table__, list(rows.values()), key="response_id")
