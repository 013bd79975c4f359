"""/v1/audit-plans: thin handlers over plans/service.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from csq_common.http.auth import ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr
from audit_svc.plans import service
from audit_svc.plans.presets import PRESETS
from audit_svc.plans.schemas import Method, PlanCreate, PlanPage, PlanPatch, PlanRead, PlanStatus, PresetRead, rate_text

router = APIRouter(prefix="/v1/audit-plans", tags=["audit plans"], dependencies=[Depends(reject_unknown_query_parameters)])

PlanId = Annotated[str, Path(max_length=100)]
Limit = Annotated[int, Query(ge=1, le=200)]
NOT_FOUND = {404: {"description": "Unknown audit plan"}}


@router.post("", status_code=201, response_model=PlanRead)
async def create_plan(body: PlanCreate, principal: WriteScope, session: SessionDep) -> dict:
    return service.plan_read(await service.create_plan(session, body, author=principal.name))


@router.get("", response_model=PlanPage)
async def list_plans(
    _: ReadScope, session: ReadSessionDep, limit: Limit = 50, cursor: CursorStr | None = None,
    status: PlanStatus | None = None, method: Method | None = None,
) -> service.Page:
    return await service.list_plans(session, limit=limit, cursor=cursor, status=status, method=method)


@router.get("/presets", response_model=list[PresetRead])
async def list_presets(_: ReadScope) -> list[dict]:
    """The sampling presets of the service standard."""
    return [
        {"name": name, "frequency": preset.frequency, "rate": rate_text(preset.rate), "max_agents": preset.max_agents}
        for name, preset in PRESETS.items()
    ]


@router.get("/{plan_id}", response_model=PlanRead, responses=NOT_FOUND)
async def get_plan(plan_id: PlanId, _: ReadScope, session: ReadSessionDep) -> dict:
    return service.plan_read(await service.get_plan(session, plan_id))


@router.patch("/{plan_id}", response_model=PlanRead, responses=NOT_FOUND)
async def update_plan(plan_id: PlanId, body: PlanPatch, _: WriteScope, session: SessionDep) -> dict:
    return service.plan_read(await service.update_plan(session, plan_id, body))


@router.post("/{plan_id}/pause", response_model=PlanRead, responses=NOT_FOUND)
async def pause_plan(plan_id: PlanId, _: WriteScope, session: SessionDep) -> dict:
    return service.plan_read(await service.pause_plan(session, plan_id))


@router.post("/{plan_id}/resume", response_model=PlanRead, responses=NOT_FOUND)
async def resume_plan(plan_id: PlanId, _: WriteScope, session: SessionDep) -> dict:
    return service.plan_read(await service.resume_plan(session, plan_id))
