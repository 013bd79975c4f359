"""Erasing a customer: their identity leaves feedback-svc's tickets, and ``customer.erased`` is
staged in the outbox in the same transaction, so every other service hears of it. Nothing here
commits.

Tickets keep everything a KPI or an audit needs (agent, team, times, counts); the customer's id,
email and name become null. The messages the customer wrote on those tickets keep their place in
the conversation (author role, time) but lose their text and author id; call records lose the
customer id. A CRM that reports the ticket again afterwards reports them again:
the erasure is asked of the CRM too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus import outbox
from csq_common.errors import InvalidInput
from csq_common.events import CustomerErased, make_event
from feedback_svc.calls.models import CallRecord
from feedback_svc.messages.models import TicketMessage
from feedback_svc.feedback.service import erase_customer_identity
from feedback_svc.tickets.models import Ticket
from feedback_svc.tickets.service import SOURCE

MAX_CUSTOMER_ID_LENGTH = 200


@dataclass(frozen=True)
class Erasure:
    customer_id: str
    requested_at: datetime
    tickets_anonymised: int
    messages_blanked: int
    event_id: str


async def erase_customer(session: AsyncSession, customer_id: str, *, now: datetime, topic: str) -> Erasure:
    """Remove ``customer_id``'s identity from the tickets and stage ``customer.erased`` (keyed by
    the customer id on ``topic``). Asking twice is harmless: the second finds nothing to change
    and tells the other services again."""
    if not 0 < len(customer_id) <= MAX_CUSTOMER_ID_LENGTH or "\x00" in customer_id:
        raise InvalidInput("customer_id", f"must be 1 to {MAX_CUSTOMER_ID_LENGTH} characters without NUL")
    # The messages first: the tickets' customer id is what finds them, and it goes next.
    customer_tickets = select(Ticket.id).where(Ticket.customer_id == customer_id).scalar_subquery()
    blanked = await session.execute(
        update(TicketMessage)
        .where(
            TicketMessage.ticket_id.in_(customer_tickets),
            TicketMessage.author_role == "customer",
            TicketMessage.erased_at.is_(None),
        )
        .values(text="", author_id=None, erased_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(CallRecord)
        .where(CallRecord.customer_id == customer_id)
        .values(customer_id=None)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(Ticket)
        .where(Ticket.customer_id == customer_id)
        .values(customer_id=None, customer_email=None, customer_name=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await erase_customer_identity(session, customer_id, now=now)
    event = make_event(
        CustomerErased(customer_id=customer_id, requested_at=now), source=SOURCE, subject=customer_id, time=now
    )
    await outbox.add(session, event, topic=topic, key=customer_id)
    return Erasure(
        customer_id=customer_id, requested_at=now, tickets_anonymised=max(result.rowcount or 0, 0),
        messages_blanked=max(blanked.rowcount or 0, 0), event_id=event.id,
    )
