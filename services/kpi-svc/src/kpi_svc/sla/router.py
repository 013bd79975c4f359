"""/v1/sla-policies (admin to create, replace and delete; read to list and get) and /v1/sla/open (read)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from csq_common.db import utcnow
from csq_common.http.auth import AdminScope, ReadScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, IdStr, storable_str
from kpi_svc.sla import policies, service
from kpi_svc.sla.models import SlaPolicy
from kpi_svc.sla.schemas import OpenTimerPage, PolicyCreate, PolicyPage, PolicyRead

router = APIRouter(tags=["sla"], dependencies=[Depends(reject_unknown_query_parameters)])

Limit = Annotated[int, Query(ge=1, le=500)]
PolicyId = Annotated[storable_str(max_length=36), Path()]
TimerMetric = Literal["first_response", "next_response", "resolution"]
NOT_FOUND = {404: {"description": "Unknown policy"}}


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


@router.get("/v1/sla-policies/{policy_id}", response_model=PolicyRead, responses=NOT_FOUND)
async def get_policy(policy_id: PolicyId, _: ReadScope, session: ReadSessionDep) -> SlaPolicy:
    return await policies.get_policy(session, policy_id)


@router.put("/v1/sla-policies/{policy_id}", response_model=PolicyRead, responses=NOT_FOUND)
async def replace_policy(policy_id: PolicyId, body: PolicyCreate, _: AdminScope, session: SessionDep) -> SlaPolicy:
    """Every rule of the policy replaced (its id and its place in the order kept, its revision one
    more). Clocks still short of their target are read again at once under the policies as they
    now are; timers already measured or breached keep their result."""
    return await service.replace_policy(session, policy_id, body, now=utcnow())


@router.delete("/v1/sla-policies/{policy_id}", status_code=204, responses=NOT_FOUND)
async def delete_policy(policy_id: PolicyId, _: AdminScope, session: SessionDep) -> Response:
    """The policy gone. Clocks it timed that are still short of their target move to the next
    policy that matches, or stop being timed; timers already measured or breached keep their result."""
    await service.delete_policy(session, policy_id, now=utcnow())
    return Response(status_code=204)


@router.get("/v1/sla/open", response_model=OpenTimerPage)
async def open_timers(
    _: ReadScope, session: ReadSessionDep, team_id: IdStr | None = None, agent_id: IdStr | None = None,
    channel: IdStr | None = None, metric: TimerMetric | None = None, limit: Limit = 50, cursor: CursorStr | None = None,
) -> OpenTimerPage:
    """Running SLA timers of open tickets, the least time left first (breached ones, with negative
    ``seconds_left``, at the top); optionally of one team, agent, channel or metric (an agent's
    own list of tickets at risk)."""
    items, next_cursor = await service.open_timers(
        session, team_id=team_id, agent_id=agent_id, channel=channel, metric=metric, limit=limit, cursor=cursor, now=utcnow()
    )
    return OpenTimerPage(items=items, next_cursor=next_cursor)
