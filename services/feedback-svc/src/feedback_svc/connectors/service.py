"""Applying one vendor change: once per delivery, merged into the stored ticket, published through
the same ``tickets.report_many`` the generic webhook uses. Nothing here commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.sql import insert_unless_exist
from feedback_svc.connectors import lifecycle
from feedback_svc.connectors.mapping import MessageRecord, VendorChange
from feedback_svc.connectors.models import VendorTicketFields
from feedback_svc.tickets import service as tickets
from feedback_svc.tickets.models import Ticket
from feedback_svc.tickets.schemas import ReportedTicket
from feedback_svc.webhooks.models import WebhookReceipt

_RECEIPTS = WebhookReceipt.__table__
_FIELDS = VendorTicketFields.__table__
_TICKETS = Ticket.__table__
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


async def receive_change(
    session: AsyncSession, change: VendorChange, *, received_at: datetime, topic: str, notify_public_key: str
) -> Received:
    """Apply ``change`` once per delivery; a retry of the same delivery is a duplicate."""
    key = receipt_key(change)
    claimed = await insert_unless_exist(
        session, _RECEIPTS,
        [{"event_id": key, "event_type": change.kind[:50], "ticket_id": change.ticket_id,
          "occurred_at": change.occurred_at, "received_at": received_at}],
        key="event_id",
    )
    if not claimed:
        return Received(duplicate=True, source=change.source, delivery_id=change.delivery_id, ticket_id=change.ticket_id, events=[])
    field_times = await _lock_fields(session, change.ticket_id, now=received_at)
    stored = await _stored_ticket(session, change.ticket_id)
    outcome = lifecycle.apply(stored, field_times, change)
    await session.execute(
        update(_FIELDS)
        .where(_FIELDS.c.ticket_id == change.ticket_id)
        .values(field_times={name: at.isoformat() for name, at in outcome.field_times.items()}, updated_at=received_at)
    )
    reports = [
        tickets.Report(
            snapshot=outcome.snapshot, event_type=event_type, occurred_at=change.occurred_at,
            crm_event_id=f"{key}#{event_type}", merged=True,
        )
        for event_type in outcome.event_types
    ]
    if not reports and outcome.changed:
        reports = [tickets.Report(
            snapshot=outcome.snapshot, event_type=None, occurred_at=change.occurred_at, crm_event_id=f"{key}#update",
            merged=True,
        )]
    # The same path as the generic webhook: stored state, outbox events, derived first response.
    decisions = await tickets.report_many(session, reports, topic=topic, notify_public_key=notify_public_key)
    published = list(outcome.event_types)
    if any(decision.first_responded for decision in decisions):
        published.append(tickets.FIRST_RESPONDED)
    return Received(
        duplicate=False, source=change.source, delivery_id=change.delivery_id, ticket_id=change.ticket_id,
        events=published, message=change.message,
    )


async def _lock_fields(session: AsyncSession, ticket_id: str, *, now: datetime) -> dict[str, datetime]:
    """The ticket's field times, its row locked (created if new) so that concurrent deliveries of
    one ticket merge one after the other."""
    await insert_unless_exist(session, _FIELDS, [{"ticket_id": ticket_id, "field_times": {}, "updated_at": now}], key="ticket_id")
    statement = select(_FIELDS.c.field_times).where(_FIELDS.c.ticket_id == ticket_id).with_for_update()
    stored = (await session.execute(statement)).scalar_one()
    return {name: datetime.fromisoformat(at) for name, at in (stored or {}).items()}


async def _stored_ticket(session: AsyncSession, ticket_id: str) -> ReportedTicket | None:
    row = (await session.execute(select(_TICKETS).where(_TICKETS.c.id == ticket_id))).mappings().first()
    if row is None:
        return None
    values: dict[str, Any] = {name: row[name] for name in ReportedTicket.model_fields if name != "customer"}
    customer = {name: row[column] for name, column in _CUSTOMER_COLUMNS.items()}
    values["customer"] = customer if any(value is not None for value in customer.values()) else None
    return ReportedTicket.model_validate(values)
