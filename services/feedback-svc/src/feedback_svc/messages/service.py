"""The messages of each ticket: recorded once per (ticket id, message id), published as
``ticket.message_added``, and read back in conversation order. Nothing here commits.

``record_messages`` is what every intake path calls (the generic webhook's
``ticket.message_added``, vendor connectors' comments and messages): it stores the new messages,
derives first responses from public agent replies where the CRM has not stated one
(``tickets.service.respond_first``) and stages the events on the caller's session.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple
from datetime import datetime, timezone

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus import outbox
from csq_common.db import could_be_key, utcnow
from csq_common.events import TicketMessageAdded, make_event
from csq_common.pagination import decode_time_cursor, encode_time_cursor
from csq_common.sql import claim_new
from feedback_svc.messages.models import TicketMessage
from feedback_svc.tickets import service as tickets
from feedback_svc.tickets.models import Ticket

MESSAGE_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://csq.dev/feedback-svc/ticket-messages")


@dataclass(frozen=True)
class NewMessage:
    """A message to record. ``channel`` is the channel the sender names for the ticket (None: the
    stored ticket's); ``crm_event_id`` the delivery that carried it (a webhook event id, a vendor
    delivery id)."""

    ticket_id: str
    message_id: str
    author_role: str
    author_id: str | None
    public: bool
    sent_at: datetime
    text: str
    language: str | None
    crm_event_id: str
    channel: str | None = None


def message_event_id(ticket_id: str, message_id: str) -> str:
    """The CloudEvent id of a message's ``ticket.message_added``: the same on every redelivery."""
    return str(uuid.uuid5(MESSAGE_EVENT_NAMESPACE, json.dumps([ticket_id, message_id])))


_MESSAGES = TicketMessage.__table__
class _Row(NamedTuple):
    """A ticket_messages row as inserted (the primary key leads, as ``claim_new`` wants)."""

    ticket_id: str
    message_id: str
    author_role: str
    author_id: str | None
    public: bool
    sent_at: datetime
    channel: str | None
    text: str
    language: str | None
    crm_event_id: str
    received_at: datetime


async def record_messages(session: AsyncSession, messages: Sequence[NewMessage], *, topic: str) -> list[bool]:
    """Record each message once per (ticket id, message id) and stage its ``ticket.message_added``
    on ``topic`` keyed by ticket id; a message already stored (a redelivery, or a repeat within
    ``messages``) changes nothing. Public agent replies then set the first response of tickets
    that have none. Returns, per message, whether it was new."""
    if not messages:
        return []
    first: dict[tuple[str, str], NewMessage] = {}
    for message in messages:
        first.setdefault((message.ticket_id, message.message_id), message)
    stored_channels = await _ticket_channels(session, {m.ticket_id for m in first.values() if m.channel is None})
    received_at = utcnow()
    rows = [
        _Row(
            ticket_id, message_id, message.author_role, message.author_id, message.public,
            message.sent_at.astimezone(timezone.utc), message.channel or stored_channels.get(ticket_id), message.text,
            message.language, message.crm_event_id, received_at,
        )
        for (ticket_id, message_id), message in first.items()
    ]
    claimed = await claim_new(session, _MESSAGES, _Row._fields, rows)
    new_rows = [row for row in rows if (row.ticket_id, row.message_id) in claimed]
    events = []
    for row in new_rows:
        data = TicketMessageAdded(
            ticket_id=row.ticket_id, message_id=row.message_id, author_role=row.author_role, author_id=row.author_id,
            public=row.public, sent_at=row.sent_at, channel=row.channel, text=row.text, language=row.language,
        )
        event = make_event(
            data, source=tickets.SOURCE, subject=row.ticket_id, time=row.sent_at,
            event_id=message_event_id(row.ticket_id, row.message_id),
        )
        events.append((event, topic, row.ticket_id))
    await outbox.add_many(session, events)
    await tickets.respond_first(  # after the messages' own events, in the ticket's order
        session,
        [
            tickets.AgentReply(ticket_id=row.ticket_id, sent_at=row.sent_at, crm_event_id=row.crm_event_id)
            for row in new_rows
            if row.author_role == "agent" and row.public
        ],
        topic=topic,
    )
    seen: set[tuple[str, str]] = set()
    outcome = []
    for message in messages:
        key = (message.ticket_id, message.message_id)
        outcome.append(key in claimed and key not in seen)
        seen.add(key)
    return outcome


async def _ticket_channels(session: AsyncSession, ticket_ids: set[str]) -> dict[str, str | None]:
    if not ticket_ids:
        return {}
    statement = select(Ticket.id, Ticket.channel).where(Ticket.id.in_(sorted(ticket_ids)))
    return {row.id: row.channel for row in await session.execute(statement)}


# ---- reads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    items: list[TicketMessage]
    next_cursor: str | None


async def list_messages(session: AsyncSession, ticket_id: str, *, limit: int, cursor: str | None = None) -> Page:
    """A ticket's messages oldest first (by ``sent_at``, then message id), ``limit`` at a time.
    A ticket neither reported nor with any message is a 404."""
    statement = (
        select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket_id)
        .order_by(TicketMessage.sent_at, TicketMessage.message_id)
        .limit(limit + 1)
    )
    if cursor:
        sent_at, message_id = decode_time_cursor(cursor)
        statement = statement.where(
            or_(TicketMessage.sent_at > sent_at, and_(TicketMessage.sent_at == sent_at, TicketMessage.message_id > message_id))
        )
    rows = list((await session.execute(statement)).scalars()) if could_be_key(ticket_id, 200) else []
    if not rows and not cursor:
        await tickets.get_ticket(session, ticket_id)  # raises TicketNotFound for an unknown ticket
    items = rows[:limit]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_time_cursor(items[-1].sent_at, items[-1].message_id) if more else None)
