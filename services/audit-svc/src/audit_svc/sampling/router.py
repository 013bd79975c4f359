"""Cycles and assignments: thin handlers over sampling/cycles.py and sampling/assignments.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from csq_common.db import utcnow
from csq_common.http.auth import ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, IdStr
from audit_svc.sampling import assignments, cycles
from audit_svc.sampling.models import AuditCycle, AuditSample
from audit_svc.sampling.schemas import (
    AssignmentPage,
    AssignmentRead,
    AssignmentStatus,
    Complete,
    CycleCreate,
    CyclePage,
    CycleRead,
    CycleSample,
    Dashboard,
    Reassign,
)

router = APIRouter(tags=["sampling"], dependencies=[Depends(reject_unknown_query_parameters)])

Id = Annotated[str, Path(max_length=100)]
Limit = Annotated[int, Query(ge=1, le=200)]
PLAN_NOT_FOUND = {404: {"description": "Unknown audit plan"}}
ASSIGNMENT_NOT_FOUND = {404: {"description": "Unknown assignment"}}


@router.post(
    "/v1/audit-plans/{plan_id}/cycles", status_code=201, response_model=CycleRead,
    responses={**PLAN_NOT_FOUND, 409: {"description": "The period was sampled already"}},
)
async def run_cycle(plan_id: Id, body: CycleCreate, principal: WriteScope, session: SessionDep) -> AuditCycle:
    """Sample the plan's period that holds ``period`` (a local date) and assign the sample."""
    return await cycles.run_requested_cycle(session, plan_id, body.period, seed=body.seed, author=principal.name, now=utcnow())


@router.get("/v1/audit-plans/{plan_id}/cycles", response_model=CyclePage, responses=PLAN_NOT_FOUND)
async def list_cycles(plan_id: Id, _: ReadScope, session: ReadSessionDep, limit: Limit = 50, cursor: CursorStr | None = None) -> dict:
    items, next_cursor = await cycles.list_cycles(session, plan_id, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/v1/cycles/{cycle_id}", response_model=CycleSample, responses={404: {"description": "Unknown cycle"}})
async def get_cycle(cycle_id: Id, _: ReadScope, session: ReadSessionDep) -> dict:
    """The cycle with its sampled tickets and their assignments, in ticket-id order."""
    cycle = await cycles.get_cycle(session, cycle_id)
    return {**CycleRead.model_validate(cycle).model_dump(), "assignments": await cycles.samples_of(session, cycle.id)}


@router.get("/v1/assignments/dashboard", response_model=Dashboard, responses=PLAN_NOT_FOUND)
async def assignment_dashboard(plan_id: IdStr, _: ReadScope, session: ReadSessionDep, cycle_id: IdStr | None = None) -> dict:
    return await assignments.dashboard(session, plan_id, now=utcnow(), cycle_id=cycle_id)


@router.get("/v1/assignments", response_model=AssignmentPage)
async def list_assignments(
    _: ReadScope, session: ReadSessionDep, limit: Limit = 50, cursor: CursorStr | None = None, plan_id: IdStr | None = None,
    cycle_id: IdStr | None = None, reviewer_id: IdStr | None = None, status: AssignmentStatus | None = None,
) -> assignments.Page:
    return await assignments.list_assignments(session, limit=limit, cursor=cursor, plan_id=plan_id, cycle_id=cycle_id, reviewer_id=reviewer_id, status=status)


@router.get("/v1/assignments/{assignment_id}", response_model=AssignmentRead, responses=ASSIGNMENT_NOT_FOUND)
async def get_assignment(assignment_id: Id, _: ReadScope, session: ReadSessionDep) -> AuditSample:
    return await assignments.get_assignment(session, assignment_id)


@router.post(
    "/v1/assignments/{assignment_id}/reassign", response_model=AssignmentRead,
    responses={**ASSIGNMENT_NOT_FOUND, 409: {"description": "The assignment is done"}},
)
async def reassign(assignment_id: Id, body: Reassign, _: WriteScope, session: SessionDep) -> AuditSample:
    return await assignments.reassign(session, assignment_id, reviewer_id=body.reviewer_id, now=utcnow())


@router.post(
    "/v1/assignments/{assignment_id}/complete", response_model=AssignmentRead,
    responses={**ASSIGNMENT_NOT_FOUND, 409: {"description": "Done with another review, or not assigned"}},
)
async def complete(assignment_id: Id, body: Complete, _: WriteScope, session: SessionDep) -> AuditSample:
    return await assignments.complete(session, assignment_id, review_id=body.review_id, now=utcnow())
