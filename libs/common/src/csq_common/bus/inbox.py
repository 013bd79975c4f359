"""Inbox: the (consumer group, event id) rows that make redelivery harmless."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common import sql
from csq_common.bus.models import InboxMessage
from csq_common.db import utcnow

_TABLE = InboxMessage.__table__
_COLUMNS = ("consumer_group", "event_id", "event_type", "topic", "received_at")


async def claim(session: AsyncSession, group: str, events: list[tuple[str, Any]]) -> list[Any]:
    """Record ``(topic, event)`` pairs in the inbox; return the events not seen before, in order.

    ``event`` is anything with ``id`` and ``type`` (a ``CloudEvent`` or a decoded ``Envelope``).
    Runs in the caller's transaction, so the claim and the effect commit together; an event seen
    before, or claimed meanwhile by another replica's committed batch, is left out.
    """
    unique: dict[str, tuple[str, Any]] = {}
    for topic, event in events:
        unique.setdefault(event.id, (topic, event))
    if not unique:
        return []
    now = utcnow()
    rows = [(group, event_id, event.type, topic, now) for event_id, (topic, event) in unique.items()]
    new_keys = await sql.claim_new(session, _TABLE, _COLUMNS, rows)
    return [event for event_id, (_topic, event) in unique.items() if (group, event_id) in new_keys]


async def seen(session: AsyncSession, group: str, event_id: str) -> bool:
    found = await session.scalar(
        select(InboxMessage.event_id).where(InboxMessage.consumer_group == group, InboxMessage.event_id == event_id)
    )
    return found is not None
