"""Running a plan's sampling cycle for one period, and reading cycles. Nothing here commits.

The cycle row is claimed first (INSERT … ON CONFLICT DO NOTHING on its id, a uuid5 of the plan
and the period start, under a transaction lock named after it), so of two replicas, or a request
and the worker, exactly one samples a period; the other sees the cycle exists. The population is
the plan's scope among the tickets closed in the period that the plan has not sampled before; the
sample follows sampling/selection.py and is assigned per sampling/distribution.py, in the same
transaction.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key
from csq_common.sql import insert_unless_exist, transaction_lock
from csq_common.errors import InvalidInput
from csq_common.pagination import decode_time_cursor, encode_time_cursor
from audit_svc.plans.models import AuditPlan
from audit_svc.plans.service import get_plan
from audit_svc.sampling.distribution import distribute
from audit_svc.sampling.errors import CycleExists, CycleNotFound
from audit_svc.sampling.models import ASSIGNED, UNASSIGNED, AuditCycle, AuditSample
from audit_svc.sampling.periods import Period, period_containing
from audit_svc.sampling.selection import Candidate, choose
from audit_svc.tickets.models import ClosedTicket, TicketSurveyAnswer

CYCLE_NAMESPACE = uuid.UUID("0b7f4d0e-5a52-4d0c-9a4e-6f1e3c2a9b10")
#: Seeds stay below 2**53 so they survive any JSON client as exact integers.
MAX_SEED = 2**53 - 1


def cycle_id(plan_id: str, period: Period) -> str:
    return str(uuid.uuid5(CYCLE_NAMESPACE, f"{plan_id}/{period.start.isoformat()}"))


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED + 1)


def scope_conditions(scope: dict) -> list:
    """The SQL part of a plan's scope over ``closed_tickets``: teams, channels, agents (an empty
    list matches any). Tags are JSON and checked in Python by ``tags_in_scope``."""
    conditions = []
    for column, key in ((ClosedTicket.team_id, "team_ids"), (ClosedTicket.channel, "channels"), (ClosedTicket.agent_id, "agent_ids")):
        if scope.get(key):
            conditions.append(column.in_(scope[key]))
    return conditions


def tags_in_scope(scope: dict, tags: list[str]) -> bool:
    """A ticket is in the scope's tags if it has at least one of them, or the scope names none."""
    wanted = set(scope.get("tags") or ())
    return not wanted or bool(wanted.intersection(tags))


async def candidates(session: AsyncSession, plan: AuditPlan, period: Period) -> list[Candidate]:
    """Tickets in the plan's scope closed in ``period`` and not sampled by the plan before."""
    lowest = (
        select(TicketSurveyAnswer.ticket_id, func.min(TicketSurveyAnswer.csat).label("csat"))
        .group_by(TicketSurveyAnswer.ticket_id)
        .subquery()
    )
    sampled_before = exists().where(AuditSample.plan_id == plan.id, AuditSample.ticket_id == ClosedTicket.ticket_id)
    statement = (
        select(ClosedTicket, lowest.c.csat)
        .outerjoin(lowest, lowest.c.ticket_id == ClosedTicket.ticket_id)
        .where(ClosedTicket.closed_at >= period.start, ClosedTicket.closed_at < period.end, ~sampled_before)
    )
    statement = statement.where(*scope_conditions(plan.scope))
    found = []
    for ticket, csat in (await session.execute(statement)).all():
        if not tags_in_scope(plan.scope, ticket.tags):
            continue
        found.append(
            Candidate(
                ticket_id=ticket.ticket_id, agent_id=ticket.agent_id, team_id=ticket.team_id, channel=ticket.channel,
                closed_at=ticket.closed_at, tags=tuple(ticket.tags), complaint=ticket.complaint, reopen_count=ticket.reopen_count,
                first_response_seconds=ticket.first_response_seconds, handle_seconds=ticket.handle_seconds, lowest_csat=csat,
            )
        )
    return found


async def run_cycle(
    session: AsyncSession, plan: AuditPlan, period: Period, *, seed: int | None, trigger: str, author: str, now: datetime
) -> AuditCycle:
    """Sample ``period`` for ``plan`` and assign the sample; CycleExists if it was sampled before."""
    identifier = cycle_id(plan.id, period)
    # Two claimants of one cycle take turns. Otherwise, when both insert the new row at once,
    # PostgreSQL reports the second's clash on the (plan, period start) constraint as an error
    # instead of skipping it as a conflict on the id.
    await transaction_lock(session, int.from_bytes(uuid.UUID(identifier).bytes[:8], "big", signed=True))
    seed = new_seed() if seed is None else seed
    row = {
        "id": identifier, "plan_id": plan.id, "period_start": period.start, "period_end": period.end, "seed": seed,
        "trigger": trigger, "counts": {}, "created_by": author, "created_at": now,
    }
    if not await insert_unless_exist(session, AuditCycle.__table__, [row], key="id"):
        raise CycleExists(plan.id, period.first_day.isoformat(), identifier)
    cycle = await session.get(AuditCycle, identifier)
    population = await candidates(session, plan, period)
    sampling = plan.sampling
    sample = choose(
        population, rate=Decimal(sampling["rate"]), min_per_agent=sampling.get("min_per_agent", 0),
        targeted=sampling.get("targeted", []), seed=seed,
    )
    reviewers = distribute(sample.candidates, plan.reviewers, method=plan.method)
    due_at = period.end + timedelta(days=plan.due_days)
    for ticket in sample.candidates:
        reviewer_id = reviewers[ticket.ticket_id]
        session.add(
            AuditSample(
                id=str(uuid.uuid4()), cycle_id=identifier, plan_id=plan.id, ticket_id=ticket.ticket_id, agent_id=ticket.agent_id,
                team_id=ticket.team_id, channel=ticket.channel, closed_at=ticket.closed_at, reasons=sample.reasons[ticket.ticket_id],
                reviewer_id=reviewer_id, status=ASSIGNED if reviewer_id else UNASSIGNED, due_at=due_at, created_at=now,
            )
        )
    random_count, minimum_count = sample.count("random"), sample.count("minimum")
    cycle.counts = {
        "population": len(population),
        "sampled": len(sample.candidates),
        "random": random_count,
        "minimum": minimum_count,
        "targeted": len(sample.candidates) - random_count - minimum_count,
        "unassigned": sum(1 for reviewer_id in reviewers.values() if reviewer_id is None),
    }
    await session.flush()
    return cycle


# ---- reads ------------------------------------------------------------------------------


async def get_cycle(session: AsyncSession, cycle_identifier: str) -> AuditCycle:
    cycle = await session.get(AuditCycle, cycle_identifier) if could_be_key(cycle_identifier, 36) else None
    if cycle is None:
        raise CycleNotFound(cycle_identifier)
    return cycle


async def list_cycles(session: AsyncSession, plan_id: str, *, limit: int, cursor: str | None) -> tuple[list[AuditCycle], str | None]:
    """A plan's cycles, latest period first (PlanNotFound for an unknown plan)."""
    plan = await get_plan(session, plan_id)
    statement = (
        select(AuditCycle)
        .where(AuditCycle.plan_id == plan.id)
        .order_by(AuditCycle.period_start.desc(), AuditCycle.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        start, last_id = decode_time_cursor(cursor)
        statement = statement.where(
            or_(AuditCycle.period_start < start, and_(AuditCycle.period_start == start, AuditCycle.id < last_id))
        )
    rows = list((await session.execute(statement)).scalars())
    items = rows[:limit]
    return items, (encode_time_cursor(items[-1].period_start, items[-1].id) if len(rows) > limit else None)


async def samples_of(session: AsyncSession, cycle_identifier: str) -> list[AuditSample]:
    statement = select(AuditSample).where(AuditSample.cycle_id == cycle_identifier).order_by(AuditSample.ticket_id)
    return list((await session.execute(statement)).scalars())



async def run_requested_cycle(
    session: AsyncSession, plan_id: str, day: date, *, seed: int | None, author: str, now: datetime
) -> AuditCycle:
    """``POST /v1/audit-plans/{id}/cycles``: sample the plan's period that holds the local date
    ``day``, once that period has ended (paused plans too: an explicit request is deliberate)."""
    plan = await get_plan(session, plan_id)
    try:
        period = period_containing(plan.frequency, plan.timezone, day)
    except OverflowError:  # the period or its midnights in UTC fall outside the years 1-9999
        raise InvalidInput("period", "its period reaches outside the years 1-9999") from None
    if period.end > now:
        raise InvalidInput("period", f"the period starting {period.first_day.isoformat()} ends at {period.end.isoformat()}; sample it once it has ended")
    return await run_cycle(session, plan, period, seed=seed, trigger="api", author=author, now=now)
