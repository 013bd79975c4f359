"""Ticket state as last reported by the CRM, and the ticket events each report publishes.

``report`` is what every intake path (the generic webhook, vendor adapters) calls once it has a
CRM event: it merges the snapshot into the stored ticket and stages the events in the outbox on
the caller's session. Nothing here commits.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus import outbox
from csq_common.db import utcnow
from csq_common.errors import InvalidInput
from csq_common.events import TICKET_EVENTS, TicketFirstResponded, TicketSnapshot, make_event
from feedback_svc.sql import insert_unless_exists
from feedback_svc.tickets.errors import TicketChangedConcurrently, TicketNotFound
from feedback_svc.tickets.models import Ticket

SOURCE = "feedback-svc"
# Separate namespaces: a CRM event id can never produce the id of a derived event.
CRM_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://csq.dev/feedback-svc/crm-events")
DERIVED_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://csq.dev/feedback-svc/derived-events")
FIRST_RESPONDED = TicketFirstResponded.event_type


def event_id_for(crm_event_id: str) -> str:
    """The CloudEvent id of a CRM event: the same on every redelivery."""
    return str(uuid.uuid5(CRM_EVENT_NAMESPACE, crm_event_id))


def first_responded_event_id(ticket_id: str) -> str:
    return str(uuid.uuid5(DERIVED_EVENT_NAMESPACE, json.dumps([ticket_id, FIRST_RESPONDED])))


# ---- the merge rule (pure) ----------------------------------------------------------------


@dataclass(frozen=True)
class Merge:
    overwrite: bool  # the snapshot becomes the stored state
    first_responded: bool  # derive ticket.first_responded from this snapshot now


def merge(
    *, last_event_at: datetime | None, first_response_published: bool, occurred_at: datetime, snapshot: TicketSnapshot
) -> Merge:
    """What one CRM event does to the stored ticket.

    The stored state is the snapshot of the latest event by event time: an older event arriving
    late does not overwrite it; on a tie the later arrival wins. ``ticket.first_responded`` is
    derived once, from the first snapshot to carry ``first_response_at``, late or not.
    """
    return Merge(
        overwrite=last_event_at is None or occurred_at >= last_event_at,
        first_responded=not first_response_published and snapshot.first_response_at is not None,
    )


def snapshot_columns(snapshot: TicketSnapshot) -> dict[str, Any]:
    customer = snapshot.customer
    return {
        "customer_id": customer.id if customer else None,
        "customer_email": customer.email if customer else None,
        "customer_name": customer.name if customer else None,
        "customer_locale": customer.locale if customer else None,
        "agent_id": snapshot.agent_id,
        "team_id": snapshot.team_id,
        "channel": snapshot.channel,
        "priority": snapshot.priority,
        "subject": snapshot.subject,
        "status": snapshot.status,
        "created_at": snapshot.created_at,
        "first_response_at": snapshot.first_response_at,
        "resolved_at": snapshot.resolved_at,
        "closed_at": snapshot.closed_at,
        "handle_seconds": snapshot.handle_seconds,
        "reopen_count": snapshot.reopen_count,
        "contact_count": snapshot.contact_count,
        "tags": list(snapshot.tags),
    }


# ---- writes -----------------------------------------------------------------------------


async def report(
    session: AsyncSession,
    snapshot: TicketSnapshot,
    *,
    event_type: str,
    occurred_at: datetime,
    crm_event_id: str,
    topic: str,
) -> Merge:
    """Apply one CRM event: merge its snapshot, stage its event (and a derived first response)."""
    decision = await _merge_into_stored(session, snapshot, event_type=event_type, occurred_at=occurred_at)
    # Each event carries its own snapshot (not the merged state): kpi-svc attributes by it.
    data = TICKET_EVENTS[event_type](ticket=snapshot, occurred_at=occurred_at, crm_event_id=crm_event_id)
    event = make_event(data, source=SOURCE, subject=snapshot.id, time=occurred_at, event_id=event_id_for(crm_event_id))
    await outbox.add(session, event, topic=topic, key=snapshot.id)
    if decision.first_responded:
        first = TicketFirstResponded(ticket=snapshot, occurred_at=snapshot.first_response_at, crm_event_id=crm_event_id)
        derived = make_event(
            first, source=SOURCE, subject=snapshot.id, time=snapshot.first_response_at,
            event_id=first_responded_event_id(snapshot.id),
        )
        await outbox.add(session, derived, topic=topic, key=snapshot.id)
    await session.flush()
    return decision


async def _merge_into_stored(
    session: AsyncSession, snapshot: TicketSnapshot, *, event_type: str, occurred_at: datetime
) -> Merge:
    ticket = await _get_for_update(session, snapshot.id)
    if ticket is None:
        decision = merge(last_event_at=None, first_response_published=False, occurred_at=occurred_at, snapshot=snapshot)
        row = {
            "id": snapshot.id,
            **snapshot_columns(snapshot),
            "last_event_at": occurred_at,
            "last_event_type": event_type,
            "first_response_published": decision.first_responded,
            "updated_at": utcnow(),
        }
        if await insert_unless_exists(session, Ticket, row, key="id"):
            return decision
        # A concurrent delivery for the same ticket created it first: merge into that row.
        ticket = await _get_for_update(session, snapshot.id)
        if ticket is None:
            raise TicketChangedConcurrently(f"ticket {snapshot.id!r} changed concurrently; retry")
    decision = merge(
        last_event_at=ticket.last_event_at,
        first_response_published=ticket.first_response_published,
        occurred_at=occurred_at,
        snapshot=snapshot,
    )
    if decision.overwrite:
        for column, value in snapshot_columns(snapshot).items():
            setattr(ticket, column, value)
        ticket.last_event_at = occurred_at
        ticket.last_event_type = event_type
    if decision.first_responded:
        ticket.first_response_published = True
    if decision.overwrite or decision.first_responded:
        ticket.updated_at = utcnow()
    return decision


async def _get_for_update(session: AsyncSession, ticket_id: str) -> Ticket | None:
    # FOR UPDATE serialises concurrent events of one ticket on PostgreSQL (SQLite writers are
    # serialised by BEGIN IMMEDIATE already), so the merge never works from a stale read.
    statement = (
        select(Ticket).where(Ticket.id == ticket_id).with_for_update().execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


# ---- reads ------------------------------------------------------------------------------


MAX_ID_LENGTH = 200


def _storable(value: str) -> bool:
    """Could this be a stored id? (PostgreSQL refuses NUL in text parameters outright.)"""
    return len(value) <= MAX_ID_LENGTH and "\x00" not in value


async def get_ticket(session: AsyncSession, ticket_id: str) -> Ticket:
    ticket = await session.get(Ticket, ticket_id) if _storable(ticket_id) else None
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


@dataclass(frozen=True)
class Page:
    items: list[Ticket]
    next_cursor: str | None


def encode_cursor(ticket_id: str) -> str:
    return base64.urlsafe_b64encode(ticket_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        after = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError):
        after = None
    if not after or not _storable(after):
        raise InvalidInput("cursor", "is not a cursor this API issued")
    return after


async def list_tickets(session: AsyncSession, *, limit: int, cursor: str | None = None) -> Page:
    """Tickets ordered by id, ``limit`` at a time; ``next_cursor`` is None on the last page."""
    statement = select(Ticket).order_by(Ticket.id).limit(limit + 1)
    if cursor:
        statement = statement.where(Ticket.id > decode_cursor(cursor))
    rows = list((await session.execute(statement)).scalars())
    more = len(rows) > limit
    items = rows[:limit]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)
