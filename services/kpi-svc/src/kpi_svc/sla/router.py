"""/v1/sla-policies (admin to create; read to list and get) and /v1/sla/open (read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from csq_common.db import utcnow
from csq_common.http.auth import AdminScope, ReadScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, IdStr, storable_str
from kpi_svc.sla import policies, service
from kpi_svc.sla.models import SlaPolicy
from kpi_svc.sla.schemas import OpenTimerPage, PolicyCreate, PolicyPage, PolicyRead

router = APIRouter(tags=["sla"], dependencies=[Depends(reject_unknown_query_parameters)])

Limit = Annotated[int, Query(ge=1, le=500)]


@router.post("/v1/sla-policies", status_code=201, response_model=PolicyRead)
async def create_policy(body: PolicyCreate, _: AdminScope, session: SessionDep) -> SlaPolicy:
    """An SLA policy. The first policy by creation whose priorities and tags match a ticket applies
    (an empty list matches any); it applies at once to clocks still short of their target, and to
    every later ticket; tickets already measured keep their result."""
    return await service.create_policy(session, body, now=utcnow())


@router.get("/v1/sla-policies", response_model=PolicyPage)
async def list_policies(_: ReadScope, session: ReadSessionDep, limit: Limit = 50, cursor: CursorStr | None = None) -> PolicyPage:
    items, next_cursor = await policies.list_policies(session, limit=limit, cursor=cursor)
    return PolicyPage(items=[PolicyRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get("/v1/sla-policies/{policy_id}", response_model=PolicyRead, responses={404: {"description": "Unknown policy"}})
async def get_policy(policy_id: Annotated[storable_str(max_length=36), Path()], _: ReadScope, session: ReadSessionDep) -> SlaPolicy:
    return await policies.get_policy(session, policy_id)


@router.get("/v1/sla/open", response_model=OpenTimerPage)
async def open_timers(
    _: ReadScope, session: ReadSessionDep, team_id: IdStr | None = None, limit: Limit = 50, cursor: CursorStr | None = None
) -> OpenTimerPage:
    """Running SLA timers of open tickets, the least time left first (breached ones, with negative
    ``seconds_left``, at the top)."""
    items, next_cursor = await service.open_timers(session, team_id=team_id, limit=limit, cursor=cursor, now=utcnow())
    return OpenTimerPage(items=items, next_cursor=next_cursor)
