"""Ticket transcripts: ``ticket.message_added`` kept once per (ticket, message id), read back in
conversation order for a review, and blanked when the customer is erased. Nothing here commits.

The customer of a ticket is learnt from the ticket events that carry its snapshot (the first one
naming a customer is kept, as the SHA-256 of the id): an erasure must find the messages of a
ticket still open at the time, whose later closure no longer names the customer.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import TicketEvent, TicketMessageAdded
from csq_common.sql import claim_new, insert_unless_exist
from audit_svc.tickets.models import TicketCustomer, TicketMessage

MESSAGE_COLUMNS = ("ticket_id", "message_id", "author_role", "author_id", "public", "sent_at", "text", "language", "erased_at")
CUSTOMER = "customer"


def customer_key(customer_id: str) -> str:
    """What is kept of a customer id: its SHA-256, hex."""
    return hashlib.sha256(customer_id.encode("utf-8")).hexdigest()


async def record_messages(session: AsyncSession, events: list[TicketMessageAdded]) -> int:
    """Keep each message not kept yet (a redelivery or a repeat changes nothing); how many were new."""
    rows: dict[tuple[str, str], tuple] = {}
    for event in events:
        rows.setdefault(
            (event.ticket_id, event.message_id),
            (event.ticket_id, event.message_id, event.author_role, event.author_id, event.public, event.sent_at, event.text, event.language, None),
        )
    if not rows:
        return 0
    return len(await claim_new(session, TicketMessage.__table__, MESSAGE_COLUMNS, [rows[key] for key in sorted(rows)]))


async def record_customers(session: AsyncSession, events: list[TicketEvent], *, now: datetime) -> None:
    """Remember the customer of each ticket the first time a ticket event names one."""
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        customer = event.ticket.customer
        if customer is not None and customer.id:
            rows.setdefault(event.ticket.id, {"ticket_id": event.ticket.id, "customer_key": customer_key(customer.id), "seen_at": now})
    await insert_unless_exist(session, TicketCustomer.__table__, [rows[key] for key in sorted(rows)], key="ticket_id")


async def erase_customer(session: AsyncSession, customer_id: str, *, now: datetime) -> int:
    """Blank the text and author id of the messages ``customer_id`` wrote (their place in the
    conversation stays, as at feedback-svc) and forget which tickets were theirs; how many messages."""
    key = customer_key(customer_id)
    tickets = select(TicketCustomer.ticket_id).where(TicketCustomer.customer_key == key).scalar_subquery()
    blanked = await session.execute(
        update(TicketMessage)
        .where(TicketMessage.ticket_id.in_(tickets), TicketMessage.author_role == CUSTOMER, TicketMessage.erased_at.is_(None))
        .values(text="", author_id=None, erased_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(TicketCustomer).where(TicketCustomer.customer_key == key).execution_options(synchronize_session=False)
    )
    return max(blanked.rowcount or 0, 0)


async def transcript(session: AsyncSession, ticket_id: str | None) -> list[dict[str, Any]]:
    """The ticket's messages in the order they were sent (message id breaks ties)."""
    if ticket_id is None:
        return []
    statement = (
        select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.sent_at, TicketMessage.message_id)
    )
    return [
        {
            "message_id": row.message_id, "author_role": row.author_role, "author_id": row.author_id, "public": row.public,
            "sent_at": row.sent_at, "text": row.text, "language": row.language, "erased": row.erased_at is not None,
        }
        for row in (await session.execute(statement)).scalars()
    ]
