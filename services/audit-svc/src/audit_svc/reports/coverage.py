"""Sampling coverage: per agent, how many of the tickets they closed in the window have a review
that counts (matching the report's plan, method and scorecard), against the plan's sampling rate.

The population is what audit-svc keeps of ``ticket.closed`` (tickets/), by ``closed_at``, the
agent being the one who closed the ticket; with a plan, only tickets in the plan's scope. A
ticket counts as reviewed whenever its review was submitted, so a ticket closed on the last day
of the window and reviewed the week after is covered.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from audit_svc.plans.models import AuditPlan
from audit_svc.reports.figures import percent, shown
from audit_svc.reports.filters import ReportFilters
from audit_svc.reports.window import Window
from audit_svc.reviews.models import Review
from audit_svc.sampling.cycles import scope_conditions, tags_in_scope
from audit_svc.tickets.models import ClosedTicket


def plan_view(plan: AuditPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    rate = Decimal(plan.sampling["rate"])
    return {
        "id": plan.id, "name": plan.name, "method": plan.method, "frequency": plan.frequency, "timezone": plan.timezone,
        "preset": plan.preset, "sampling_rate": plan.sampling["rate"], "target_pct": shown(Fraction(rate) * 100),
        "min_per_agent": plan.sampling.get("min_per_agent", 0),
    }


async def coverage(session: AsyncSession, window: Window, filters: ReportFilters, plan: AuditPlan | None) -> dict[str, Any]:
    tickets = select(ClosedTicket.ticket_id, ClosedTicket.agent_id, ClosedTicket.tags).where(
        ClosedTicket.closed_at >= window.start, ClosedTicket.closed_at < window.end
    )
    for column, value in ((ClosedTicket.team_id, filters.team_id), (ClosedTicket.agent_id, filters.agent_id)):
        if value is not None:
            tickets = tickets.where(column == value)
    if plan is not None:
        tickets = tickets.where(*scope_conditions(plan.scope))

    reviewed = select(Review.ticket_id).where(
        Review.counts_for_agent.is_(True), Review.calibration_id.is_(None), Review.ticket_id.in_(tickets.with_only_columns(ClosedTicket.ticket_id))
    )
    for column, value in ((Review.plan_id, filters.plan_id), (Review.method, filters.method), (Review.scorecard_id, filters.scorecard_id)):
        if value is not None:
            reviewed = reviewed.where(column == value)
    reviewed_ids = set((await session.execute(reviewed.distinct())).scalars())

    closed: dict[str | None, int] = defaultdict(int)
    covered: dict[str | None, int] = defaultdict(int)
    for ticket in (await session.execute(tickets)).all():
        if plan is not None and not tags_in_scope(plan.scope, ticket.tags):
            continue
        closed[ticket.agent_id] += 1
        covered[ticket.agent_id] += ticket.ticket_id in reviewed_ids

    target = Fraction(Decimal(plan.sampling["rate"])) if plan is not None else None

    def row(closed_count: int, reviewed_count: int) -> dict[str, Any]:
        return {
            "closed_tickets": closed_count, "reviewed_tickets": reviewed_count, "coverage_pct": percent(reviewed_count, closed_count),
            "target_pct": shown(target * 100) if target is not None else None,
            "meets_target": (reviewed_count >= target * closed_count) if target is not None else None,
        }

    agents = sorted(closed, key=lambda agent: (agent is None, agent or ""))
    return {
        "total": row(sum(closed.values()), sum(covered.values())),
        "agents": [{"agent_id": agent, **row(closed[agent], covered[agent])} for agent in agents],
    }
