"""The sampling worker: when a plan's period ends, its cycle runs, once.

Every poll, each active plan's latest ended period (in the plan's zone) is sampled if it has no
cycle yet and the plan existed before it ended. Each plan's cycle runs in its own transaction;
the cycle's claim (see sampling/cycles.py) makes a second replica, or a rerun after a restart,
find the cycle and do nothing. A period missed entirely (the service was down for longer than a
whole period) is left to ``POST /v1/audit-plans/{id}/cycles``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.db import transaction, utcnow
from csq_common.worker import PollingWorker
from audit_svc.plans.models import ACTIVE, AuditPlan
from audit_svc.sampling.cycles import run_cycle
from audit_svc.sampling.errors import CycleExists
from audit_svc.sampling.models import AuditCycle
from audit_svc.sampling.periods import last_ended_period

log = structlog.get_logger(__name__)
SCHEDULER = "scheduler"


async def run_ended_cycles(sessions: async_sessionmaker[AsyncSession], *, now: datetime) -> int:
    """Run the cycle of every active plan whose latest period has ended without one; how many ran."""
    async with sessions() as session:
        plans = list((await session.execute(select(AuditPlan.id).where(AuditPlan.status == ACTIVE).order_by(AuditPlan.id))).scalars())
    ran = 0
    for plan_id in plans:
        try:
            async with transaction(sessions) as session:
                cycle = await _run_due_cycle(session, plan_id, now=now)
        except CycleExists:
            continue  # another replica ran it first; its transaction was rolled back
        if cycle is not None:
            ran += 1
            log.info("cycle.ran", plan_id=plan_id, cycle_id=cycle.id, period_start=cycle.period_start.isoformat(), **cycle.counts)
    return ran


async def _run_due_cycle(session: AsyncSession, plan_id: str, *, now: datetime) -> AuditCycle | None:
    """The cycle of ``plan_id``'s latest ended period if it is due and has none yet, else None."""
    plan = await session.get(AuditPlan, plan_id)
    if plan is None or plan.status != ACTIVE:
        return None
    period = last_ended_period(plan.frequency, plan.timezone, now)
    if period.end <= plan.created_at:
        return None  # the plan did not exist while this period ran
    known = await session.scalar(select(AuditCycle.id).where(AuditCycle.plan_id == plan.id, AuditCycle.period_start == period.start))
    if known is not None:
        return None
    return await run_cycle(session, plan, period, seed=None, trigger="schedule", author=SCHEDULER, now=now)


class SamplingWorker(PollingWorker):
    name = "sampling_worker"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, poll_seconds: float, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self._sessions = sessions
        self._clock = clock

    async def work_once(self) -> bool:
        await run_ended_cycles(self._sessions, now=self._clock())
        return False
