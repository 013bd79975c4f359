"""Cycles on the database: periods in the plan's zone, exact rates over a generated population,
reproducible seeds, never a ticket twice for a plan, once per plan and period under two
workers and a restart."""

import asyncio
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from csq_common.bus.migration import upgrade_to_head
from csq_common.db import create_engine, session_factory
from audit_svc.main import SERVICE_ROOT
from audit_svc.sampling import cycles
from audit_svc.sampling.errors import CycleExists
from audit_svc.sampling.models import AuditCycle, AuditSample
from audit_svc.sampling.periods import last_ended_period, period_containing
from audit_svc.sampling.selection import random_count
from audit_svc.sampling.worker import run_ended_cycles
from audit_svc.tickets import service as intake
from tests.plans.factories import plan
from tests.sampling.population import generate, store
from tests.tickets.factories import closed

WEEK = period_containing("weekly", "Asia/Shanghai", date(2026, 11, 18))
AFTER = WEEK.end + timedelta(days=1)


def test_periods_are_computed_in_the_plan_zone():
    assert (WEEK.start, WEEK.end) == (datetime(2026, 11, 15, 16, tzinfo=timezone.utc), datetime(2026, 11, 22, 16, tzinfo=timezone.utc))
    month = period_containing("monthly", "America/New_York", date(2026, 11, 30))
    assert (month.start, month.end) == (datetime(2026, 11, 1, 4, tzinfo=timezone.utc), datetime(2026, 12, 1, 5, tzinfo=timezone.utc))
    day = period_containing("daily", "Asia/Kathmandu", date(2026, 11, 18))
    assert day.start == datetime(2026, 11, 17, 18, 15, tzinfo=timezone.utc)
    assert last_ended_period("weekly", "Asia/Shanghai", WEEK.end + timedelta(seconds=1)) == WEEK
    assert last_ended_period("weekly", "Asia/Shanghai", WEEK.end - timedelta(seconds=1)).end == WEEK.start


async def sampled(sessions, cycle_id) -> dict[str, AuditSample]:
    async with sessions() as session:
        return {row.ticket_id: row for row in await cycles.samples_of(session, cycle_id)}


async def test_a_cycle_samples_exactly_the_rate_the_minimum_and_the_targeted_matches(sessions):
    closures = generate(WEEK.start - timedelta(hours=8), WEEK.end + timedelta(hours=8), count=2500)
    in_period = [item for item in closures if WEEK.start <= item.ticket.closed_at < WEEK.end and item.ticket.team_id == "billing"]
    async with sessions() as session:
        await store(session, closures)
        created = await plan(session, sampling={"rate": "0.15", "min_per_agent": 3, "targeted": [{"rule": "low_csat", "max_csat": 2}]})
        cycle = await cycles.run_cycle(session, created, WEEK, seed=11, trigger="api", author="test", now=AFTER)
        await session.commit()
    rows = await sampled(sessions, cycle.id)
    assert cycle.counts["population"] == len(in_period) > 1000
    assert cycle.counts["random"] == random_count(Decimal("0.15"), len(in_period))
    assert Counter(row.reasons[0] for row in rows.values())["random"] == cycle.counts["random"]
    per_agent = Counter(row.agent_id for row in rows.values())
    available = Counter(item.ticket.agent_id for item in in_period)
    assert all(per_agent[agent] >= min(3, have) for agent, have in available.items())
    low = {item.ticket.id for item in closures[::50]} & {item.ticket.id for item in in_period}
    assert low and low <= set(rows) and all("low_csat" in rows[ticket_id].reasons for ticket_id in low)
    assert set(rows) <= {item.ticket.id for item in in_period}
    assert cycle.counts["sampled"] == len(rows) == cycle.counts["random"] + cycle.counts["minimum"] + cycle.counts["targeted"]
    assert all(row.due_at == WEEK.end + timedelta(days=7) for row in rows.values())


async def test_same_seed_same_sample_and_a_ticket_is_never_sampled_twice_by_a_plan(sessions):
    closures = generate(WEEK.start, WEEK.end, count=1200)
    async with sessions() as session:
        await store(session, closures)
        plans = [await plan(session, name=f"计划{n}") for n in range(3)]
        first = await cycles.run_cycle(session, plans[0], WEEK, seed=99, trigger="api", author="test", now=AFTER)
        twin = await cycles.run_cycle(session, plans[1], WEEK, seed=99, trigger="api", author="test", now=AFTER)
        other = await cycles.run_cycle(session, plans[2], WEEK, seed=100, trigger="api", author="test", now=AFTER)
        await session.commit()
    assert first.seed == 99 and set(await sampled(sessions, first.id)) == set(await sampled(sessions, twin.id))
    assert set(await sampled(sessions, first.id)) != set(await sampled(sessions, other.id))

    with pytest.raises(CycleExists):
        async with sessions() as session:
            await cycles.run_cycle(session, plans[0], WEEK, seed=1, trigger="api", author="test", now=AFTER)
    # Every sampled ticket closes again (reopened) in the next week: plan 0 never samples them
    # again, while a new plan does.
    taken = set(await sampled(sessions, first.id))
    next_week = period_containing("weekly", "Asia/Shanghai", date(2026, 11, 25))
    async with sessions() as session:
        await intake.record_closures(session, [closed(ticket_id, closed_at=next_week.start + timedelta(hours=1)) for ticket_id in taken])
        fresh = await plan(session, sampling={"rate": "1"})
        again = await cycles.run_cycle(session, plans[0], next_week, seed=5, trigger="api", author="test", now=next_week.end)
        everything = await cycles.run_cycle(session, fresh, next_week, seed=5, trigger="api", author="test", now=next_week.end)
        await session.commit()
    assert again.counts["population"] == 0 and everything.counts["sampled"] == len(taken)
    with pytest.raises(IntegrityError):
        async with sessions() as session:
            row = (await session.execute(select(AuditSample).where(AuditSample.cycle_id == first.id).limit(1))).scalar_one()
            session.add(AuditSample(**{**{c.key: getattr(row, c.key) for c in AuditSample.__table__.columns}, "id": "dup", "cycle_id": again.id}))
            await session.flush()


async def test_the_worker_runs_each_period_once_with_two_replicas_and_after_a_restart(sessions, database_url):
    closures = generate(WEEK.start, WEEK.end, count=300)
    async with sessions() as session:
        await store(session, closures)
        created = await plan(session)
        created.created_at = WEEK.start + timedelta(days=2)  # the plan existed while the week ran
        paused = await plan(session, name="暂停的计划")
        paused.created_at, paused.status = created.created_at, "paused"
        await session.commit()
    replica = create_engine(database_url)
    await upgrade_to_head(replica, SERVICE_ROOT)
    try:
        ran = await asyncio.gather(
            run_ended_cycles(sessions, now=AFTER), run_ended_cycles(session_factory(replica), now=AFTER)
        )
        assert sorted(ran) == [0, 1]
    finally:
        await replica.dispose()
    restarted = create_engine(database_url)
    try:
        assert await run_ended_cycles(session_factory(restarted), now=AFTER + timedelta(hours=1)) == 0
    finally:
        await restarted.dispose()
    async with sessions() as session:
        rows = (await session.execute(select(AuditCycle))).scalars().all()
    assert [(row.plan_id, row.period_start, row.trigger) for row in rows] == [(created.id, WEEK.start, "schedule")]
    billing = sum(1 for item in closures if item.ticket.team_id == "billing")
    assert rows[0].counts["population"] == billing and rows[0].counts["random"] == random_count(Decimal("0.1"), billing)
