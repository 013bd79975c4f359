"""Receiving CRM ticket events: receipts first (duplicates change nothing), then the tickets and
the messages."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.sql import BulkInsert
from csq_common.db import utcnow
from feedback_svc.messages import service as messages
from feedback_svc.tickets import service as tickets
from feedback_svc.webhooks.models import WebhookReceipt
from feedback_svc.webhooks.schemas import MessageWebhook, TicketWebhook, WebhookAccepted

Webhook = TicketWebhook | MessageWebhook

_RECEIPTS = WebhookReceipt.__table__
_INSERT_RECEIPTS = BulkInsert(
    _RECEIPTS, ("event_id", "event_type", "ticket_id", "occurred_at", "received_at"),
    skip_conflicts_on="event_id", returning="event_id",
)


async def receive_ticket_webhook(
    session: AsyncSession, payload: Webhook, *, topic: str, notify_public_key: str
) -> WebhookAccepted:
    """Accept ``payload`` once per CRM event id; a repeat is reported as a duplicate."""
    return (await receive_ticket_webhooks(session, [payload], topic=topic, notify_public_key=notify_public_key))[0]


async def receive_ticket_webhooks(
    session: AsyncSession, payloads: Sequence[Webhook], *, topic: str, notify_public_key: str
) -> list[WebhookAccepted]:
    """Accept each payload once per CRM event id, in arrival order; repeats are duplicates.

    The receipts are claimed with one INSERT … ON CONFLICT DO NOTHING RETURNING: of two concurrent
    identical deliveries exactly one inserts it and applies the event; the other sees a
    duplicate. Within ``payloads`` a repeated event id is a duplicate of its first occurrence.
    The claimed lifecycle events are then applied together, in order, by ``tickets.report_many``
    (``notify_public_key`` seals the customer's contact into ``ticket.closed``), and the claimed
    messages after them by ``messages.record_messages`` (so a message finds a ticket created in
    the same batch).
    """
    first: dict[str, Webhook] = {}  # event id -> its first occurrence
    first_index: dict[str, int] = {}
    for index, payload in enumerate(payloads):
        if payload.event_id not in first:
            first[payload.event_id] = payload
            first_index[payload.event_id] = index
    received_at = utcnow()
    receipts = [
        (payload.event_id, payload.type, payload.ticket.id, payload.occurred_at, received_at) for payload in first.values()
    ]
    claimed = set(await _INSERT_RECEIPTS.execute(session, receipts))
    known = await _receipt_tickets(session, [event_id for event_id in first if event_id not in claimed])
    reports: list[tickets.Report] = []
    added: list[messages.NewMessage] = []
    for event_id, payload in first.items():
        if event_id not in claimed:
            continue
        if type(payload) is MessageWebhook:
            added.append(_new_message(payload))
        else:
            reports.append(tickets.Report(
                snapshot=payload.ticket, event_type=payload.type, occurred_at=payload.occurred_at,
                crm_event_id=payload.event_id,
            ))
    await tickets.report_many(session, reports, topic=topic, notify_public_key=notify_public_key)
    if added:
        await messages.record_messages(session, added, topic=topic)
    results = []
    for index, payload in enumerate(payloads):
        event_id = payload.event_id
        if event_id in claimed and first_index[event_id] == index:
            results.append(WebhookAccepted(duplicate=False, event_id=event_id, ticket_id=payload.ticket.id))
        else:
            ticket_id = first[event_id].ticket.id if event_id in claimed else known.get(event_id, payload.ticket.id)
            results.append(WebhookAccepted(duplicate=True, event_id=event_id, ticket_id=ticket_id))
    return results


def _new_message(payload: MessageWebhook) -> messages.NewMessage:
    message = payload.message
    return messages.NewMessage(
        ticket_id=payload.ticket.id, message_id=message.id, author_role=message.author_role,
        author_id=message.author_id, public=message.public, sent_at=message.sent_at, text=message.text,
        language=message.language, crm_event_id=payload.event_id, channel=payload.ticket.channel,
    )


async def _receipt_tickets(session: AsyncSession, event_ids: list[str]) -> dict[str, str]:
    """The ticket id each already-stored receipt recorded."""
    if not event_ids:
        return {}
    statement = select(_RECEIPTS.c.event_id, _RECEIPTS.c.ticket_id).where(_RECEIPTS.c.event_id.in_(event_ids))
    return {row.event_id: row.ticket_id for row in await session.execute(statement)}
