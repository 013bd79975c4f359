"""Applying vendor changes: once per delivery, merged into the stored ticket, published through
the same ``tickets.report_many`` the generic webhook uses. Nothing here commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.sql import BulkInsert, insert_unless_exist
from feedback_svc.connectors import lifecycle
from feedback_svc.connectors.mapping import MessageRecord, VendorChange
from feedback_svc.connectors.models import VendorTicketFields
from feedback_svc.messages import service as messages
from feedback_svc.tickets import service as tickets
from feedback_svc.tickets.models import Ticket
from feedback_svc.tickets.schemas import ReportedTicket
from feedback_svc.webhooks.models import WebhookReceipt

_RECEIPTS = WebhookReceipt.__table__
_FIELDS = VendorTicketFields.__table__
_TICKETS = Ticket.__table__
_INSERT_RECEIPTS = BulkInsert(
    _RECEIPTS, ("event_id", "event_type", "ticket_id", "occurred_at", "received_at"),
    skip_conflicts_on="event_id", returning="event_id",
)
_UPDATE_FIELDS = (
    update(_FIELDS).where(_FIELDS.c.ticket_id == bindparam("key"))
    .values(field_times=bindparam("field_times"), updated_at=bindparam("updated_at"))
)
_CUSTOMER_COLUMNS = {"id": "customer_id", "email": "customer_email", "name": "customer_name", "locale": "customer_locale"}


@dataclass(frozen=True)
class Received:
    """What a vendor delivery did: nothing (a duplicate), or the events it published."""

    duplicate: bool
    source: str
    delivery_id: str
    ticket_id: str
    events: list[str]
    message: MessageRecord | None = None


def receipt_key(change: VendorChange) -> str:
    """The duplicate check's key: ``<source>:<delivery id>`` (hashed when too long to store)."""
    key = f"{change.source}:{change.delivery_id}"
    if len(key) > 200:
        key = f"{change.source}:sha256:{hashlib.sha256(change.delivery_id.encode()).hexdigest()}"
    return key


async def receive_changes(
    session: AsyncSession, changes: Sequence[tuple[VendorChange, datetime]], *, topic: str, notify_public_key: str
) -> list[Received]:
    """Apply (change, received_at) pairs once per delivery, in arrival order, with a handful of
    set-based statements (a group commit's batch); a repeated delivery is a duplicate.

    The receipts are claimed first (INSERT … ON CONFLICT DO NOTHING RETURNING); the touched
    tickets' field times are locked in id order (created when new) and read with the tickets;
    each change is merged in memory after the ones before it; then the field times are written
    and every resulting report goes through ``tickets.report_many`` in one call.
    """
    if not changes:
        return []
    keys = [receipt_key(change) for change, _received_at in changes]
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        first.setdefault(key, index)
    receipts = [
        (key, changes[index][0].kind[:50], changes[index][0].ticket_id, changes[index][0].occurred_at, changes[index][1])
        for key, index in first.items()
    ]
    claimed = set(await _INSERT_RECEIPTS.execute(session, receipts))
    applied = [index for key, index in first.items() if key in claimed]
    ticket_ids = sorted({changes[index][0].ticket_id for index in applied})
    field_times = await _lock_fields(session, ticket_ids, now=changes[0][1])
    stored = await _stored_tickets(session, ticket_ids)

    reports: list[tickets.Report] = []
    owners: list[int] = []  # the change index of each report
    events: dict[int, list[str]] = {}
    touched: dict[str, datetime] = {}
    for index in applied:
        change, received_at = changes[index]
        ticket_id = change.ticket_id
        outcome = lifecycle.apply(stored.get(ticket_id), field_times.get(ticket_id, {}), change)
        stored[ticket_id], field_times[ticket_id] = outcome.snapshot, outcome.field_times
        touched[ticket_id] = received_at
        events[index] = list(outcome.event_types)
        key = keys[index]
        made = [
            tickets.Report(snapshot=outcome.snapshot, event_type=event_type, occurred_at=change.occurred_at,
                           crm_event_id=f"{key}#{event_type}", merged=True)
            for event_type in outcome.event_types
        ]
        if not made and outcome.changed:
            made = [tickets.Report(snapshot=outcome.snapshot, event_type=None, occurred_at=change.occurred_at,
                                   crm_event_id=f"{key}#update", merged=True)]
        reports += made
        owners += [index] * len(made)
    if touched:
        await session.execute(_UPDATE_FIELDS, [
            {"key": ticket_id, "field_times": {name: at.isoformat() for name, at in field_times[ticket_id].items()},
             "updated_at": received_at}
            for ticket_id, received_at in touched.items()
        ])
    # The same path as the generic webhook: stored state, outbox events, derived first response.
    decisions = await tickets.report_many(session, reports, topic=topic, notify_public_key=notify_public_key)
    # Comments and messages join the ticket's transcript (ticket.message_added), once each.
    await messages.record_messages(
        session,
        [transcript_entry(changes[index][0].message, keys[index]) for index in applied if changes[index][0].message],
        topic=topic,
    )
    for owner, decision in zip(owners, decisions):
        if decision.first_responded:
            events[owner].append(tickets.FIRST_RESPONDED)
    return [
        Received(
            duplicate=index not in events, source=change.source, delivery_id=change.delivery_id,
            ticket_id=change.ticket_id, events=events.get(index, []),
            message=change.message if index in events else None,
        )
        for index, (change, _received_at) in enumerate(changes)
    ]


async def receive_change(
    session: AsyncSession, change: VendorChange, *, received_at: datetime, topic: str, notify_public_key: str
) -> Received:
    """Apply one change once per delivery; a retry of the same delivery is a duplicate."""
    (result,) = await receive_changes(session, [(change, received_at)], topic=topic, notify_public_key=notify_public_key)
    return result


async def _lock_fields(session: AsyncSession, ticket_ids: list[str], *, now: datetime) -> dict[str, dict[str, datetime]]:
    """The tickets' field times, their rows locked in id order (created if new) so that
    concurrent deliveries of one ticket merge one after the other and never deadlock."""
    if not ticket_ids:
        return {}
    await insert_unless_exist(
        session, _FIELDS, [{"ticket_id": ticket_id, "field_times": {}, "updated_at": now} for ticket_id in ticket_ids],
        key="ticket_id",
    )
    statement = (
        select(_FIELDS.c.ticket_id, _FIELDS.c.field_times).where(_FIELDS.c.ticket_id.in_(ticket_ids))
        .order_by(_FIELDS.c.ticket_id).with_for_update()
    )
    return {
        row.ticket_id: {name: datetime.fromisoformat(at) for name, at in (row.field_times or {}).items()}
        for row in await session.execute(statement)
    }


async def _stored_tickets(session: AsyncSession, ticket_ids: list[str]) -> dict[str, ReportedTicket]:
    if not ticket_ids:
        return {}
    rows = (await session.execute(select(_TICKETS).where(_TICKETS.c.id.in_(ticket_ids)))).mappings()
    return {row["id"]: _reported(row) for row in rows}


def _reported(row) -> ReportedTicket:
    values: dict[str, Any] = {name: row[name] for name in ReportedTicket.model_fields if name != "customer"}
    customer = {name: row[column] for name, column in _CUSTOMER_COLUMNS.items()}
    values["customer"] = customer if any(value is not None for value in customer.values()) else None
    return ReportedTicket.model_validate(values)


#: The event's limit on a message's text, in UTF-8 bytes.
MAX_TEXT_BYTES = 64 * 1024


def transcript_entry(message: MessageRecord, delivery_key: str) -> messages.NewMessage:
    """A vendor comment or message as the transcript keeps it (its text cut to the event's limit)."""
    text = message.text.encode()[:MAX_TEXT_BYTES].decode(errors="ignore")
    return messages.NewMessage(
        ticket_id=message.ticket_id, message_id=message.message_id, author_role=message.author_role,
        author_id=message.author_id, public=message.public, sent_at=message.sent_at, text=text,
        language=message.language, crm_event_id=delivery_key,
    )
