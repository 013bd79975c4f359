"""SLA test helpers: feed ticket events to the consumer's handler, create policies and calendars,
read the timers and the outbox back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from csq_common.bus.models import OutboxMessage
from csq_common.events import CloudEvent
from kpi_svc.calendars.schemas import CalendarCreate
from kpi_svc.consumers import handle_events
from kpi_svc.sla import service
from kpi_svc.sla.models import SlaTimer
from kpi_svc.sla.notices import count_fallen_due
from kpi_svc.sla.schemas import PolicyCreate
from tests.factories import event, snapshot

ADMIN = {"Authorization": "Bearer admin-key"}
READER = {"Authorization": "Bearer reader-key"}
OFFICE = {"mon": ["09:00-12:00", "13:30-18:00"], "tue": ["09:00-18:00"], "wed": ["09:00-18:00"], "thu": ["09:00-18:00"],
          "fri": ["09:00-18:00"], "sat": [], "sun": []}


def policy_body(**changes) -> dict:
    return {"name": "普通工单", "priorities": [], "tags": [], "first_response_seconds": 3600, "resolution_seconds": 4 * 3600,
            "business_hours": False, "paused_statuses": ["pending", "on_hold"], **changes}


def ticket_event(model, ticket_id: str, occurred_at: datetime, created_at: datetime, *, status: str, team="billing",
                 priority="normal", tags=(), agent="A-7", channel="email", **fields) -> CloudEvent:
    body = snapshot(ticket_id, team, agent, channel, created_at, status=status, priority=priority, tags=list(tags),
                    subject="退款进度查询", **fields)
    return event(model, body, occurred_at)


async def feed(sessions, *events: CloudEvent) -> None:
    async with sessions() as session:
        await handle_events(session, list(events))
        await session.commit()


async def committed(sessions, change, *args, **kwargs):
    """``change(session, *args, **kwargs)`` in a session of its own, committed; its result."""
    async with sessions() as session:
        result = await change(session, *args, **kwargs)
        await session.commit()
    return result


async def add_policy(sessions, now: datetime, **changes):
    return await committed(sessions, service.create_policy, PolicyCreate.model_validate(policy_body(**changes)), now=now)


async def replace_policy(sessions, policy_id: str, now: datetime, **changes):
    return await committed(sessions, service.replace_policy, policy_id, PolicyCreate.model_validate(policy_body(**changes)), now=now)


async def delete_policy(sessions, policy_id: str, now: datetime) -> None:
    await committed(sessions, service.delete_policy, policy_id, now=now)


def calendar_body(**changes) -> CalendarCreate:
    return CalendarCreate.model_validate(
        {"name": "上海客服日历", "tz": "Asia/Shanghai", "hours": OFFICE, "country": "CN", "team_ids": [], "default": False, **changes}
    )


async def add_calendar(sessions, now: datetime, **changes):
    return await committed(sessions, service.create_calendar, calendar_body(**changes), now=now)


async def replace_calendar(sessions, calendar_id: str, now: datetime, **changes):
    return await committed(sessions, service.replace_calendar, calendar_id, calendar_body(**changes), now=now)


async def delete_calendar(sessions, calendar_id: str, now: datetime) -> None:
    await committed(sessions, service.delete_calendar, calendar_id, now=now)


async def timers(sessions) -> dict[tuple[str, str], list[SlaTimer]]:
    """(ticket, metric) → its timers, oldest clock first."""
    async with sessions() as session:
        rows = (await session.execute(select(SlaTimer).order_by(SlaTimer.ticket_id, SlaTimer.metric, SlaTimer.started_at))).scalars().all()
    found: dict[tuple[str, str], list[SlaTimer]] = {}
    for row in rows:
        found.setdefault((row.ticket_id, row.metric), []).append(row)
    return found


async def outbox_events(sessions, event_type: str) -> list[tuple[str, str, CloudEvent]]:
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    events = [(row.topic, row.key, CloudEvent.from_bytes(row.payload)) for row in rows]
    return [item for item in events if item[2].type == event_type]


async def count_due(sessions, now: datetime) -> None:
    """The notice worker's counting pass at ``now``: timers fallen due by then are counted."""
    async with sessions() as session:
        while await count_fallen_due(session, now=now, limit=500) == 500:
            pass
        await session.commit()
