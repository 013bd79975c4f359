"""Inbox: the (consumer group, event id) rows that make redelivery harmless."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus.models import InboxMessage
from csq_common.db import driver_connection, sqlite_timestamp, utcnow

_TABLE = InboxMessage.__tablename__
_COLUMNS = "consumer_group, event_id, event_type, topic, received_at"
# PostgreSQL: the batch as three column arrays, one prepared statement, one round trip; the rows
# that conflict (seen before, or inserted meanwhile by another replica's committed batch) are
# left out of RETURNING.
_PG_CLAIM = (
    f"INSERT INTO {_TABLE} ({_COLUMNS}) "
    "SELECT $1::varchar, e, t, tp, $5::timestamptz FROM unnest($2::varchar[], $3::varchar[], $4::varchar[]) AS u(e, t, tp) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
# SQLite: the writer holds the database's write lock for the whole transaction (BEGIN IMMEDIATE),
# so "which of these exist" then "insert the others" cannot race.
_SQLITE_SEEN = f"SELECT event_id FROM {_TABLE} WHERE consumer_group = ? AND event_id IN (SELECT value FROM json_each(?))"
_SQLITE_INSERT = f"INSERT INTO {_TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)"


async def claim(session: AsyncSession, group: str, events: list[tuple[str, Any]]) -> list[Any]:
    """Record ``(topic, event)`` pairs in the inbox; return the events not seen before, in order.

    ``event`` is anything with ``id`` and ``type`` (a ``CloudEvent`` or a decoded ``Envelope``).
    Runs in the caller's transaction, so the claim and the effect commit together. The statements
    run on the driver connection: a batch of 10,000 events is two statements, not 10,000 sets of
    bound parameters through SQLAlchemy.
    """
    unique: dict[str, tuple[str, Any]] = {}
    for topic, event in events:
        unique.setdefault(event.id, (topic, event))
    if not unique:
        return []
    driver = await driver_connection(session)
    now = utcnow()
    if session.bind.dialect.name == "postgresql":
        ids = list(unique)
        pairs = unique.values()
        rows = await driver.fetch(
            _PG_CLAIM, group, ids, [event.type for _, event in pairs], [topic for topic, _ in pairs], now
        )
        new_ids = {row[0] for row in rows}
    else:
        cursor = await driver.execute(_SQLITE_SEEN, (group, orjson.dumps(list(unique)).decode()))
        seen_ids = {row[0] for row in await cursor.fetchall()}
        await cursor.close()
        new_ids = unique.keys() - seen_ids
        stamp = sqlite_timestamp(now)
        await driver.executemany(
            _SQLITE_INSERT,
            [(group, event_id, event.type, topic, stamp) for event_id, (topic, event) in unique.items() if event_id in new_ids],
        )
    return [event for event_id, (_topic, event) in unique.items() if event_id in new_ids]


async def seen(session: AsyncSession, group: str, event_id: str) -> bool:
    found = await session.scalar(
        select(InboxMessage.event_id).where(InboxMessage.consumer_group == group, InboxMessage.event_id == event_id)
    )
    return found is not None
