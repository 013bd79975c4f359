"""The SLA counters follow their timer: a timer past due is counted once the worker sees it (once,
with two workers at once), a late pause that moves the due time moves the count, a late response
within the moved target turns it into a met one, and a reassignment moves it to the new agent."""

import asyncio
from datetime import datetime, timedelta

from csq_common.bus.migration import upgrade_to_head
from csq_common.db import create_engine, session_factory
from csq_common.events import TicketAssigned, TicketCreated, TicketFirstResponded
from kpi_svc.kpis.service import kpi_summary
from kpi_svc.main import SERVICE_ROOT
from kpi_svc.read.service import breakdown
from kpi_svc.sla.notices import count_fallen_due
from tests.sla.factories import add_policy, feed, ticket_event

T = datetime.fromisoformat
T0 = T("2026-11-18T02:00:00+00:00")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def count_pass(sessions, now: datetime) -> int:
    async with sessions() as session:
        counted = await count_fallen_due(session, now=now, limit=100)
        await session.commit()
    return counted


async def frt(sessions, start: int, end: int) -> tuple[float | None, int]:
    async with sessions() as session:
        summary = await kpi_summary(session, start=at(start), end=at(end))
    return summary.values["sla_frt_pct"], summary.counts["sla_frt_pct"]


async def by_agent(sessions) -> dict[str | None, tuple[float | None, int]]:
    async with sessions() as session:
        table = await breakdown(session, start=at(-60), end=at(600), by="agent_id", metrics="sla_frt_pct")
    # a group whose counts were all moved away keeps a row of zeros: shown with nothing measured
    return {row.key: (row.values["sla_frt_pct"], row.counts["sla_frt_pct"]) for row in table.rows if row.counts["sla_frt_pct"]}


def event(model, minute: int, status: str, agent: str = "坐席-甲", **fields):
    return ticket_event(model, "T-1", at(minute), T0, status=status, agent=agent, channel="chat", team="售后一组", **fields)


async def test_a_count_moves_with_its_timer_and_two_workers_count_it_once(sessions, database_url):
    await add_policy(sessions, T0 - timedelta(days=1), first_response_seconds=3600, resolution_seconds=86400)
    await feed(sessions, event(TicketCreated, 0, "open"))
    assert await frt(sessions, 0, 120) == (None, 0)  # running: nothing measured yet

    replica = create_engine(database_url)
    await upgrade_to_head(replica, SERVICE_ROOT)
    try:
        counted = await asyncio.gather(count_pass(sessions, at(61)), count_pass(session_factory(replica), at(61)))
    finally:
        await replica.dispose()
    assert sorted(counted) == [0, 1]
    assert await count_pass(sessions, at(62)) == 0
    assert await frt(sessions, 60, 75) == (0.0, 1)  # fell due unmet at minute 60

    # Pending from minute 10 to 40, learnt late: due at minute 90, not fallen due at minute 61.
    await feed(sessions, event(TicketAssigned, 10, "pending"), event(TicketAssigned, 40, "open"))
    assert await frt(sessions, 0, 120) == (None, 0)
    assert await count_pass(sessions, at(61)) == 0
    assert await count_pass(sessions, at(91)) == 1
    assert (await frt(sessions, 60, 75), await frt(sessions, 90, 105)) == ((None, 0), (0.0, 1))

    # Answered at minute 80, within the moved target: met at minute 80, no longer counted at 90.
    await feed(sessions, event(TicketFirstResponded, 80, "open", first_response_at=at(80)))
    assert (await frt(sessions, 75, 90), await frt(sessions, 90, 105)) == ((100.0, 1), (None, 0))
    assert await by_agent(sessions) == {"坐席-甲": (100.0, 1)}

    # Reassigned: the ticket's timers, and their counts, are the new agent's.
    await feed(sessions, event(TicketAssigned, 100, "open", agent="坐席-乙", first_response_at=at(80)))
    assert await by_agent(sessions) == {"坐席-乙": (100.0, 1)}
    assert await frt(sessions, -60, 600) == (100.0, 1)
