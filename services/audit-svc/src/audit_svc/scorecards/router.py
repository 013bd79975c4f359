from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from csq_common.http.auth import ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, IdStr, storable_str
from audit_svc.scorecards import selection, service
from audit_svc.scorecards.models import ScorecardVersion
from audit_svc.scorecards.schemas import ScorecardDefinition, ScorecardPage, ScorecardRead, ScorecardStatus, ScorecardVersionRead

router = APIRouter(prefix="/v1/scorecards", tags=["scorecards"], dependencies=[Depends(reject_unknown_query_parameters)])

ScorecardId = Annotated[str, Path(max_length=100)]
NOT_FOUND = {404: {"description": "Unknown scorecard or version"}}
RETIRED = {409: {"description": "The scorecard is retired"}}


@router.post("", status_code=201, response_model=ScorecardRead)
async def create_scorecard(body: ScorecardDefinition, principal: WriteScope, session: SessionDep) -> dict[str, Any]:
    return await service.create_scorecard(session, body, author=principal.name)


@router.get("", response_model=ScorecardPage)
async def list_scorecards(
    _: ReadScope,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[CursorStr | None, Query()] = None,
    status: ScorecardStatus | None = None,
) -> service.Page:
    return await service.list_scorecards(session, limit=limit, cursor=cursor, status=status)


@router.get("/applicable", response_model=ScorecardVersionRead, responses={404: {"description": "No scorecard applies"}})
async def applicable_scorecard(
    _: ReadScope,
    session: ReadSessionDep,
    channel: Annotated[storable_str(max_length=50) | None, Query()] = None,
    team_id: Annotated[IdStr | None, Query()] = None,
    tags: Annotated[list[storable_str(max_length=100)], Query(max_length=50)] = [],  # noqa: B006 (FastAPI copies it)
) -> ScorecardVersion:
    """The published scorecard for a ticket: the most specific selection rule that matches."""
    return await selection.applicable_scorecard(session, channel=channel, team_id=team_id, tags=tags)


@router.get("/{scorecard_id}", response_model=ScorecardRead, responses=NOT_FOUND)
async def get_scorecard(scorecard_id: ScorecardId, _: ReadScope, session: ReadSessionDep) -> dict[str, Any]:
    return await service.get_scorecard(session, scorecard_id)


@router.put("/{scorecard_id}", response_model=ScorecardRead, responses={**NOT_FOUND, **RETIRED})
async def edit_scorecard(scorecard_id: ScorecardId, body: ScorecardDefinition, _: WriteScope, session: SessionDep) -> dict[str, Any]:
    """Replace the draft; editing a published scorecard creates a new draft version."""
    return await service.edit_scorecard(session, scorecard_id, body)


@router.post("/{scorecard_id}/versions", status_code=201, response_model=ScorecardRead, responses={**NOT_FOUND, **RETIRED})
async def new_version(scorecard_id: ScorecardId, body: ScorecardDefinition, _: WriteScope, session: SessionDep) -> dict[str, Any]:
    """The same as PUT: a new draft version after a published one, or the draft replaced."""
    return await service.edit_scorecard(session, scorecard_id, body)


@router.post("/{scorecard_id}/publish", status_code=201, response_model=ScorecardVersionRead, responses={**NOT_FOUND, **RETIRED})
async def publish_scorecard(scorecard_id: ScorecardId, principal: WriteScope, session: SessionDep) -> ScorecardVersion:
    return await service.publish_scorecard(session, scorecard_id, author=principal.name)


@router.post("/{scorecard_id}/retire", response_model=ScorecardRead, responses=NOT_FOUND)
async def retire_scorecard(scorecard_id: ScorecardId, _: WriteScope, session: SessionDep) -> dict[str, Any]:
    return await service.retire_scorecard(session, scorecard_id)


@router.get("/{scorecard_id}/versions/{version}", response_model=ScorecardVersionRead, responses=NOT_FOUND)
async def get_version(
    scorecard_id: ScorecardId, version: Annotated[int, Path(ge=1, le=2_147_483_647)], _: ReadScope, session: ReadSessionDep
) -> ScorecardVersion:
    return await service.get_version(session, scorecard_id, version)
