from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from csq_common.http.auth import AgentWriteScope, ReadScope, WriteScope, agent_filter
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, IdStr, UtcInstant
from audit_svc.disputes import report, service
from audit_svc.disputes.schemas import DisputeCreate, DisputePage, DisputeRead, DisputeReport, DisputeResolve, DisputeStatus
from audit_svc.settings import SettingsDep

router = APIRouter(tags=["disputes"], dependencies=[Depends(reject_unknown_query_parameters)])

ItemId = Annotated[str, Path(max_length=100)]
CONFLICT = {409: {"description": "Window closed, already open or already resolved"}}
FORBIDDEN = {403: {"description": "Not the reviewed agent / not the arbitrator"}}


@router.post("/v1/reviews/{review_id}/disputes", status_code=201, response_model=DisputeRead, responses={404: {"description": "Unknown review"}, **CONFLICT, **FORBIDDEN})
async def open_dispute(review_id: ItemId, body: DisputeCreate, principal: AgentWriteScope, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """The reviewed agent disputes categories of a review within AUDIT_DISPUTE_WINDOW_DAYS (with
    their own key, only as themselves)."""
    agent_filter(principal, body.agent_id)
    return await service.open_dispute(session, review_id, body, window_days=settings.dispute_window_days)


@router.get("/v1/disputes", response_model=DisputePage)
async def list_disputes(
    _: ReadScope,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[CursorStr | None, Query()] = None,
    status: DisputeStatus | None = None,
    reviewer_id: Annotated[IdStr | None, Query()] = None,
    agent_id: Annotated[IdStr | None, Query()] = None,
    arbitrator_id: Annotated[IdStr | None, Query()] = None,
    review_id: Annotated[IdStr | None, Query()] = None,
) -> service.Page:
    return await service.list_disputes(
        session, limit=limit, cursor=cursor, status=status, reviewer_id=reviewer_id, agent_id=agent_id,
        arbitrator_id=arbitrator_id, review_id=review_id,
    )


@router.get("/v1/disputes/report", response_model=DisputeReport)
async def dispute_report(
    _: ReadScope,
    session: ReadSessionDep,
    from_: Annotated[UtcInstant | None, Query(alias="from", description="disputes opened at or after")] = None,
    to: Annotated[UtcInstant | None, Query(description="disputes opened before (exclusive)")] = None,
    reviewer_id: Annotated[IdStr | None, Query()] = None,
) -> dict[str, Any]:
    return await report.dispute_report(session, opened_from=from_, opened_to=to, reviewer_id=reviewer_id)


@router.get("/v1/disputes/{dispute_id}", response_model=DisputeRead, responses={404: {"description": "Unknown dispute"}})
async def get_dispute(dispute_id: ItemId, _: ReadScope, session: ReadSessionDep) -> dict[str, Any]:
    return await service.get_dispute(session, dispute_id)


@router.post("/v1/disputes/{dispute_id}/resolve", response_model=DisputeRead, responses={404: {"description": "Unknown dispute"}, **CONFLICT, **FORBIDDEN})
async def resolve_dispute(dispute_id: ItemId, body: DisputeResolve, _: WriteScope, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Accept, partially accept or reject; a changed score publishes the review's next version."""
    return await service.resolve_dispute(session, dispute_id, body, topic=settings.topic("audits"))
