from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from csq_common.http.auth import AgentReadScope, WriteScope, agent_filter
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, IdStr, UtcInstant
from audit_svc.reviews import service
from audit_svc.reviews.schemas import Method, ReviewCreate, ReviewDetail, ReviewPage, ReviewRead
from audit_svc.settings import SettingsDep

router = APIRouter(prefix="/v1/reviews", tags=["reviews"], dependencies=[Depends(reject_unknown_query_parameters)])

ReviewId = Annotated[str, Path(max_length=100)]
NOT_FOUND = {404: {"description": "Unknown review"}}


@router.post("", status_code=201, response_model=ReviewRead, responses={404: {"description": "Unknown scorecard or version"}, 409: {"description": "Scorecard retired"}})
async def create_review(body: ReviewCreate, _: WriteScope, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Submit a review: scored as docs/architecture.md "Audit scoring" defines, ``audit.completed`` published with it."""
    return await service.create_review(session, body, topic=settings.topic("audits"))


@router.get("", response_model=ReviewPage)
async def list_reviews(
    principal: AgentReadScope,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[CursorStr | None, Query()] = None,
    agent_id: Annotated[IdStr | None, Query(description="a supervisor's filter; an agent's own key reads only that agent's reviews")] = None,
    team_id: Annotated[IdStr | None, Query()] = None,
    scorecard_id: Annotated[IdStr | None, Query()] = None,
    reviewer_id: Annotated[IdStr | None, Query()] = None,
    plan_id: Annotated[IdStr | None, Query()] = None,
    method: Method | None = None,
    from_: Annotated[UtcInstant | None, Query(alias="from")] = None,
    to: Annotated[UtcInstant | None, Query(description="exclusive")] = None,
) -> service.Page:
    return await service.list_reviews(
        session, limit=limit, cursor=cursor, agent_id=agent_filter(principal, agent_id), team_id=team_id, scorecard_id=scorecard_id,
        reviewer_id=reviewer_id, plan_id=plan_id, method=method, reviewed_from=from_, reviewed_to=to,
    )


@router.get("/{review_id}", response_model=ReviewDetail, responses={**NOT_FOUND, 403: {"description": "A calibration review still blind"}})
async def get_review(review_id: ReviewId, principal: AgentReadScope, session: ReadSessionDep) -> dict[str, Any]:
    """The review with its categories and the transcript of its ticket (an agent's own key reads
    only that agent's reviews: another one is 404)."""
    return await service.get_review(session, review_id, agent_id=principal.agent_id)
