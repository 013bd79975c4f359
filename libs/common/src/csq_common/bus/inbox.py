"""Inbox: the (consumer group, event id) rows that make redelivery harmless."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus.models import InboxMessage
from csq_common.db import utcnow
from csq_common.events import CloudEvent


async def claim(session: AsyncSession, group: str, events: list[tuple[str, CloudEvent]]) -> list[CloudEvent]:
    """Record ``(topic, event)`` pairs in the inbox; return those not seen before, in order.

    Runs in the caller's transaction, so the claim and the effect commit together.
    """
    unique: dict[str, tuple[str, CloudEvent]] = {}
    for topic, event in events:
        unique.setdefault(event.id, (topic, event))
    if not unique:
        return []
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    # One cached statement run as executemany: SQLAlchemy batches it into multi-row INSERTs
    # ("insertmanyvalues") and still returns the ids that were actually inserted.
    statement = insert(InboxMessage).on_conflict_do_nothing().returning(InboxMessage.event_id)
    rows = [
        {"consumer_group": group, "event_id": event_id, "event_type": event.type, "topic": topic, "received_at": now}
        for event_id, (topic, event) in unique.items()
    ]
    new_ids = set((await session.execute(statement, rows)).scalars())
    return [event for event_id, (_topic, event) in unique.items() if event_id in new_ids]


async def seen(session: AsyncSession, group: str, event_id: str) -> bool:
    found = await session.scalar(
        select(InboxMessage.event_id).where(InboxMessage.consumer_group == group, InboxMessage.event_id == event_id)
    )
    return found is not None
