"""What the SLA and calendar routes call: policies and calendars (created, changed or deleted, and
applied to running clocks at once) and the open timers at risk, by time left."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput
from csq_common.pagination import decode_cursor, encode_cursor
from kpi_svc.calendars import service as calendars
from kpi_svc.calendars.schemas import CalendarCreate, CalendarRead
from kpi_svc.sla import policies
from kpi_svc.sla.models import RUNNING, SlaPolicy, SlaTimer
from kpi_svc.sla.schemas import OpenTimer, PolicyCreate
from kpi_svc.sla.timers import refresh_running


async def create_policy(session: AsyncSession, body: PolicyCreate, *, now: datetime) -> SlaPolicy:
    """A new policy, applied at once to the clocks still short of their target."""
    policy = await policies.create_policy(session, body, now=now)
    await refresh_running(session, now=now)
    return policy


async def replace_policy(session: AsyncSession, policy_id: str, body: PolicyCreate, *, now: datetime) -> SlaPolicy:
    """The policy changed, applied at once to the clocks still short of their target; timers it
    already measured keep their result."""
    policy = await policies.replace_policy(session, policy_id, body, now=now)
    await refresh_running(session, now=now)
    return policy


async def delete_policy(session: AsyncSession, policy_id: str, *, now: datetime) -> None:
    """The policy gone: the clocks it timed that are still short of their target move to the next
    policy that matches, or stop being timed; timers it already measured keep their result."""
    await policies.delete_policy(session, policy_id)
    await refresh_running(session, now=now)


async def create_calendar(session: AsyncSession, body: CalendarCreate, *, now: datetime) -> CalendarRead:
    """A new calendar, applied at once to the clocks of its teams (or, as the default, of teams
    without one) still short of their target."""
    calendar = await calendars.create_calendar(session, body, now=now)
    await refresh_running(session, now=now)
    return calendar


async def replace_calendar(session: AsyncSession, calendar_id: str, body: CalendarCreate, *, now: datetime) -> CalendarRead:
    """The calendar changed (hours, holidays, teams, default), applied at once to the clocks still
    short of their target of the teams it had and has."""
    calendar = await calendars.replace_calendar(session, calendar_id, body, now=now)
    await refresh_running(session, now=now)
    return calendar


async def delete_calendar(session: AsyncSession, calendar_id: str, *, now: datetime) -> None:
    """The calendar gone: its teams' clocks still short of their target run on the default, if
    any, else around the clock."""
    await calendars.delete_calendar(session, calendar_id)
    await refresh_running(session, now=now)


async def open_timers(
    session: AsyncSession, *, team_id: str | None, limit: int, cursor: str | None, now: datetime,
    agent_id: str | None = None, channel: str | None = None, metric: str | None = None,
) -> tuple[list[OpenTimer], str | None]:
    """Running timers, the least time left first (breached ones first of all), of the team, agent,
    channel and metric given."""
    statement = select(SlaTimer).where(SlaTimer.state == RUNNING, SlaTimer.due_at.is_not(None))
    for column, value in ((SlaTimer.team_id, team_id), (SlaTimer.agent_id, agent_id), (SlaTimer.channel, channel), (SlaTimer.metric, metric)):
        if value:
            statement = statement.where(column == value)
    if cursor:
        due_text, ticket_id, metric = decode_cursor(cursor, parts=3)
        try:
            due_at = datetime.fromisoformat(due_text)
        except ValueError:
            due_at = None
        if due_at is None or due_at.tzinfo is None:
            raise InvalidInput("cursor", "is not a cursor this API issued")
        statement = statement.where(
            or_(
                SlaTimer.due_at > due_at,
                and_(SlaTimer.due_at == due_at, or_(SlaTimer.ticket_id > ticket_id, and_(SlaTimer.ticket_id == ticket_id, SlaTimer.metric > metric))),
            )
        )
    rows = list((await session.execute(statement.order_by(SlaTimer.due_at, SlaTimer.ticket_id, SlaTimer.metric).limit(limit + 1))).scalars())
    page = rows[:limit]
    items = [
        OpenTimer(
            ticket_id=t.ticket_id, metric=t.metric, policy_id=t.policy_id, priority=t.priority, team_id=t.team_id, agent_id=t.agent_id,
            channel=t.channel, business_hours=t.business_hours, started_at=t.started_at, due_at=t.due_at,
            seconds_left=(t.due_at - now).total_seconds(),
        )
        for t in page
    ]
    next_cursor = encode_cursor(page[-1].due_at.isoformat(), page[-1].ticket_id, page[-1].metric) if len(rows) > limit else None
    return items, next_cursor
