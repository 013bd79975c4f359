"""Call detail records: stored once per call id, published as ``call.completed`` on csq.calls
keyed by call id, and listed with filters. Nothing here commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus import outbox
from csq_common.db import utcnow
from csq_common.errors import InvalidInput
from csq_common.events import CallCompleted, make_event
from csq_common.pagination import decode_time_cursor, encode_time_cursor
from csq_common.sql import insert_unless_exist
from feedback_svc.calls.models import CallRecord
from feedback_svc.calls.schemas import EARLIEST, LATEST, CallAccepted, CallCompletedIn

SOURCE = "feedback-svc"
CALL_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://csq.dev/feedback-svc/calls")


def call_event_id(call_id: str) -> str:
    """The CloudEvent id of a call's ``call.completed``: the same for every delivery of the call."""
    return str(uuid.uuid5(CALL_EVENT_NAMESPACE, call_id))


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(timezone.utc)


async def receive_call(session: AsyncSession, record: CallCompletedIn, *, topic: str) -> CallAccepted:
    """Store ``record`` once per call id and stage its ``call.completed`` on ``topic``; the same
    call id again (a retry, even with other values) is a duplicate that changes nothing."""
    row = {
        "call_id": record.call_id, "direction": record.direction, "queue": record.queue, "team_id": record.team_id,
        "agent_id": record.agent_id, "offered_at": _utc(record.offered_at), "answered_at": _utc(record.answered_at),
        "ended_at": _utc(record.ended_at), "wait_seconds": record.wait_seconds, "talk_seconds": record.talk_seconds,
        "hold_seconds": record.hold_seconds, "ticket_id": record.ticket_id, "customer_id": record.customer_id,
        "received_at": utcnow(),
    }
    inserted = await insert_unless_exist(session, CallRecord.__table__, [row], key="call_id")
    if record.call_id not in inserted:
        return CallAccepted(duplicate=True, call_id=record.call_id)
    data = CallCompleted(**{name: row[name] for name in CallCompleted.model_fields if name != "schema_version"})
    event = make_event(
        data, source=SOURCE, subject=record.call_id, time=row["ended_at"], event_id=call_event_id(record.call_id)
    )
    await outbox.add(session, event, topic=topic, key=record.call_id)
    return CallAccepted(duplicate=False, call_id=record.call_id)


@dataclass(frozen=True)
class CallFilters:
    queue: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    start: datetime | None = None  # offered_at >= start
    end: datetime | None = None  # offered_at < end


@dataclass(frozen=True)
class Page:
    items: list[CallRecord]
    next_cursor: str | None


async def list_calls(session: AsyncSession, filters: CallFilters, *, limit: int, cursor: str | None = None) -> Page:
    """Calls offered in ``[start, end)`` matching the filters, by offer time then call id."""
    for field, value in (("from", filters.start), ("to", filters.end)):
        if value is not None and not EARLIEST <= value < LATEST:
            raise InvalidInput(field, f"must lie between {EARLIEST.year} and {LATEST.year}")
    if filters.start is not None and filters.end is not None and filters.end <= filters.start:
        raise InvalidInput("to", "must be later than from")
    statement = select(CallRecord).order_by(CallRecord.offered_at, CallRecord.call_id).limit(limit + 1)
    for column, value in (
        (CallRecord.queue, filters.queue), (CallRecord.team_id, filters.team_id), (CallRecord.agent_id, filters.agent_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if filters.start is not None:
        statement = statement.where(CallRecord.offered_at >= filters.start)
    if filters.end is not None:
        statement = statement.where(CallRecord.offered_at < filters.end)
    if cursor:
        offered_at, call_id = decode_time_cursor(cursor)
        statement = statement.where(
            or_(CallRecord.offered_at > offered_at, and_(CallRecord.offered_at == offered_at, CallRecord.call_id > call_id))
        )
    rows = list((await session.execute(statement)).scalars())
    items = rows[:limit]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_time_cursor(items[-1].offered_at, items[-1].call_id) if more else None)
