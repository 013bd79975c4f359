"""Receiving a CRM ticket event: receipt first (duplicates change nothing), then the ticket."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from feedback_svc.sql import insert_unless_exists
from feedback_svc.tickets import service as tickets
from feedback_svc.webhooks.models import WebhookReceipt
from feedback_svc.webhooks.schemas import TicketWebhook, WebhookAccepted


async def receive_ticket_webhook(session: AsyncSession, payload: TicketWebhook, *, topic: str) -> WebhookAccepted:
    """Accept ``payload`` once per CRM event id; a repeat is reported as a duplicate.

    The receipt is claimed with one INSERT … ON CONFLICT DO NOTHING: of two concurrent identical
    deliveries exactly one inserts it and applies the event; the other sees a duplicate.
    """
    receipt = {
        "event_id": payload.event_id,
        "event_type": payload.type,
        "ticket_id": payload.ticket.id,
        "occurred_at": payload.occurred_at,
        "received_at": utcnow(),
    }
    if not await insert_unless_exists(session, WebhookReceipt, receipt, key="event_id"):
        known = await _receipt(session, payload.event_id)
        return WebhookAccepted(
            duplicate=True, event_id=payload.event_id, ticket_id=known.ticket_id if known else payload.ticket.id
        )
    await tickets.report(
        session,
        payload.ticket,
        event_type=payload.type,
        occurred_at=payload.occurred_at,
        crm_event_id=payload.event_id,
        topic=topic,
    )
    return WebhookAccepted(duplicate=False, event_id=payload.event_id, ticket_id=payload.ticket.id)


async def _receipt(session: AsyncSession, event_id: str) -> WebhookReceipt | None:
    statement = select(WebhookReceipt).where(WebhookReceipt.event_id == event_id)
    return (await session.execute(statement.execution_options(populate_existing=True))).scalar_one_or_none()
