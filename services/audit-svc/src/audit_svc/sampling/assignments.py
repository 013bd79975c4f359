"""Review assignments of sampled tickets: list, reassign, complete, and the dashboard per
reviewer. Nothing here commits.

Reassignment keeps the cycle's rules: nobody gets their own ticket, and in a peer plan the new
reviewer must be one of the plan's reviewers (their team is known) from another team than the
ticket's. Completion records the review's id (no foreign key); repeating it with the same id
is harmless, another id is a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key
from csq_common.errors import InvalidInput
from csq_common.pagination import newest_first
from audit_svc.plans.models import AuditPlan
from audit_svc.plans.service import get_plan
from audit_svc.sampling.distribution import may_review
from audit_svc.sampling.errors import AssignmentDone, AssignmentNotFound, AssignmentUnassigned
from audit_svc.sampling.models import ASSIGNED, DONE, UNASSIGNED, AuditSample


async def _locked(session: AsyncSession, assignment_id: str) -> AuditSample:
    sample = None
    if could_be_key(assignment_id, 36):
        statement = select(AuditSample).where(AuditSample.id == assignment_id).with_for_update()
        sample = (await session.execute(statement)).scalar_one_or_none()
    if sample is None:
        raise AssignmentNotFound(assignment_id)
    return sample


async def reassign(session: AsyncSession, assignment_id: str, *, reviewer_id: str, now: datetime) -> AuditSample:
    sample = await _locked(session, assignment_id)
    if sample.status == DONE:
        raise AssignmentDone(f"assignment {assignment_id!r} was completed with review {sample.review_id!r}")
    plan = await session.get(AuditPlan, sample.plan_id)
    reviewer = next((item for item in plan.reviewers if item["id"] == reviewer_id), None)
    if reviewer_id == sample.agent_id:
        raise InvalidInput("reviewer_id", "is the ticket's own agent: nobody reviews their own tickets")
    if plan.method == "peer":
        if reviewer is None:
            raise InvalidInput("reviewer_id", "a peer plan's tickets go only to its reviewers (their team must be known)")
        if not may_review(reviewer, sample, method=plan.method):
            raise InvalidInput("reviewer_id", f"is in team {reviewer['team_id']!r}, the ticket's own team: a peer plan never assigns a team its own tickets")
    if reviewer_id != sample.reviewer_id:
        sample.reassigned_from = sample.reviewer_id
        sample.reviewer_id = reviewer_id
        sample.reassigned_at = now
        sample.reassign_count += 1
        sample.status = ASSIGNED
        await session.flush()
    return sample


async def complete(session: AsyncSession, assignment_id: str, *, review_id: str, now: datetime) -> AuditSample:
    sample = await _locked(session, assignment_id)
    if sample.status == DONE:
        if sample.review_id == review_id:
            return sample
        raise AssignmentDone(f"assignment {assignment_id!r} was completed with review {sample.review_id!r}")
    if sample.status == UNASSIGNED:
        raise AssignmentUnassigned(f"assignment {assignment_id!r} has no reviewer yet; reassign it first")
    sample.status, sample.review_id, sample.completed_at = DONE, review_id, now
    await session.flush()
    return sample


async def complete_for_review(
    session: AsyncSession, *, plan_id: str, ticket_id: str, reviewer_id: str, review_id: str, now: datetime
) -> AuditSample | None:
    """The plan's assignment of the ticket, completed by the review its reviewer just submitted
    (in the review's transaction). An assignment of someone else, one already done or none at
    all is left as it is: the review stands, the assignment is reassigned or completed by hand."""
    statement = (
        select(AuditSample)
        .where(AuditSample.plan_id == plan_id, AuditSample.ticket_id == ticket_id, AuditSample.reviewer_id == reviewer_id, AuditSample.status == ASSIGNED)
        .with_for_update()
    )
    sample = (await session.execute(statement)).scalar_one_or_none()
    if sample is None:
        return None
    sample.status, sample.review_id, sample.completed_at = DONE, review_id, now
    await session.flush()
    return sample


# ---- reads ------------------------------------------------------------------------------


async def get_assignment(session: AsyncSession, assignment_id: str) -> AuditSample:
    sample = await session.get(AuditSample, assignment_id) if could_be_key(assignment_id, 36) else None
    if sample is None:
        raise AssignmentNotFound(assignment_id)
    return sample


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


async def list_assignments(
    session: AsyncSession, *, limit: int, cursor: str | None, plan_id: str | None = None, cycle_id: str | None = None,
    reviewer_id: str | None = None, status: str | None = None,
) -> Page:
    """Newest first, ``limit`` at a time; ``next_cursor`` is None on the last page."""
    statement = select(AuditSample)
    for column, value in ((AuditSample.plan_id, plan_id), (AuditSample.cycle_id, cycle_id), (AuditSample.reviewer_id, reviewer_id), (AuditSample.status, status)):
        if value is not None:
            statement = statement.where(column == value)
    items, next_cursor = await newest_first(session, statement, AuditSample, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


async def dashboard(session: AsyncSession, plan_id: str, *, now: datetime, cycle_id: str | None = None) -> dict:
    """Per reviewer of the plan: assigned (all given to them), done, open, overdue (open past
    due) and their goal per cycle; plus the sampled tickets nobody could be given."""
    plan = await get_plan(session, plan_id)
    open_ = AuditSample.status == ASSIGNED
    statement = (
        select(
            AuditSample.reviewer_id,
            func.count(),
            func.sum(case((AuditSample.status == DONE, 1), else_=0)),
            func.sum(case((open_, 1), else_=0)),
            func.sum(case((and_(open_, AuditSample.due_at < now), 1), else_=0)),
        )
        .where(AuditSample.plan_id == plan.id)
        .group_by(AuditSample.reviewer_id)
    )
    if cycle_id is not None:
        statement = statement.where(AuditSample.cycle_id == cycle_id)
    counts = {reviewer: (int(total), int(done or 0), int(open_count or 0), int(overdue or 0)) for reviewer, total, done, open_count, overdue in (await session.execute(statement)).all()}
    unassigned = counts.pop(None, (0, 0, 0, 0))[0]
    goals = {reviewer["id"]: reviewer.get("goal") for reviewer in plan.reviewers}
    rows = []
    for reviewer_id in [*goals, *sorted(set(counts) - set(goals))]:
        total, done, open_count, overdue = counts.get(reviewer_id, (0, 0, 0, 0))
        rows.append({"reviewer_id": reviewer_id, "goal": goals.get(reviewer_id), "assigned": total, "done": done, "open": open_count, "overdue": overdue})
    return {"plan_id": plan.id, "cycle_id": cycle_id, "at": now, "reviewers": rows, "unassigned": unassigned}
