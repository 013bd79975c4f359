"""/v1/targets (admin to create, change and delete; read to list and get) and
/v1/targets/status (read)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from csq_common.db import utcnow
from csq_common.http.auth import AdminScope, ReadScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, storable_str
from kpi_svc.targets import service
from kpi_svc.targets.models import KpiTarget
from kpi_svc.targets.schemas import TargetCreate, TargetPage, TargetPatch, TargetRead, TargetStatusPage

router = APIRouter(tags=["targets"], dependencies=[Depends(reject_unknown_query_parameters)])

Limit = Annotated[int, Query(ge=1, le=500)]
TargetId = Annotated[storable_str(max_length=36), Path()]
NOT_FOUND = {404: {"description": "Unknown target"}}


@router.post("/v1/targets", status_code=201, response_model=TargetRead)
async def create_target(body: TargetCreate, _: AdminScope, session: SessionDep) -> KpiTarget:
    """A KPI target: ``metric`` (any metric of the series and breakdowns) for the organisation or
    a team / agent / channel, breached past ``threshold`` in ``direction`` over ``window`` in
    ``tz``, judged only on ``min_sample`` observations or more, with hysteresis (see docs/kpis.md,
    "Targets"). It is evaluated from the next round of the evaluator on."""
    return await service.create_target(session, body, now=utcnow())


@router.get("/v1/targets", response_model=TargetPage)
async def list_targets(_: ReadScope, session: ReadSessionDep, limit: Limit = 50, cursor: CursorStr | None = None) -> TargetPage:
    items, next_cursor = await service.list_targets(session, limit=limit, cursor=cursor)
    return TargetPage(items=[TargetRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get("/v1/targets/status", response_model=TargetStatusPage)
async def target_status(
    _: ReadScope,
    session: ReadSessionDep,
    state: Literal["pending", "ok", "breached", "insufficient_data"] | None = None,
    limit: Limit = 100,
    cursor: CursorStr | None = None,
) -> TargetStatusPage:
    """Each target (oldest first) with its state, since when, its value and count at the last
    evaluation and that evaluation's window (the same numbers ``GET /v1/kpis/summary`` gives for
    that window and the target's scope at that moment)."""
    items, next_cursor = await service.statuses(session, state=state, limit=limit, cursor=cursor)
    return TargetStatusPage(items=items, next_cursor=next_cursor)


@router.get("/v1/targets/{target_id}", response_model=TargetRead, responses=NOT_FOUND)
async def get_target(target_id: TargetId, _: ReadScope, session: ReadSessionDep) -> KpiTarget:
    return await service.get_target(session, target_id)


@router.patch("/v1/targets/{target_id}", response_model=TargetRead, responses=NOT_FOUND)
async def update_target(target_id: TargetId, body: TargetPatch, _: AdminScope, session: SessionDep) -> KpiTarget:
    """Change the fields given; the state carries over and the next evaluation judges the new
    definition (a breached target whose new definition is met then publishes its recovery)."""
    return await service.update_target(session, target_id, body, now=utcnow())


@router.delete("/v1/targets/{target_id}", status_code=204, responses=NOT_FOUND)
async def delete_target(target_id: TargetId, _: AdminScope, session: SessionDep) -> Response:
    """The target and its state are removed; no event is published."""
    await service.delete_target(session, target_id)
    return Response(status_code=204)
