from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from csq_common.http.auth import ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, storable_str
from survey_svc.surveys import service
from survey_svc.surveys.models import Survey, SurveyVersion
from survey_svc.surveys.schemas import SurveyDefinition, SurveyPage, SurveyPatch, SurveyRead, SurveyStatus, SurveyVersionRead

router = APIRouter(prefix="/v1/surveys", tags=["surveys"], dependencies=[Depends(reject_unknown_query_parameters)])

SurveyId = Annotated[storable_str(max_length=100), Path()]
NOT_FOUND = {404: {"description": "Unknown survey"}}
RETIRED = {409: {"description": "The survey is retired"}}


@router.post("", status_code=201, response_model=SurveyRead)
async def create_survey(body: SurveyDefinition, principal: WriteScope, session: SessionDep) -> Survey:
    return await service.create_survey(session, body, author=principal.name)


@router.get("", response_model=SurveyPage)
async def list_surveys(
    _: ReadScope,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[CursorStr | None, Query()] = None,
    status: SurveyStatus | None = None,
) -> service.Page:
    return await service.list_surveys(session, limit=limit, cursor=cursor, status=status)


@router.get("/{survey_id}", response_model=SurveyRead, responses=NOT_FOUND)
async def get_survey(survey_id: SurveyId, _: ReadScope, session: ReadSessionDep) -> Survey:
    return await service.get_survey(session, survey_id)


@router.put("/{survey_id}", response_model=SurveyRead, responses={**NOT_FOUND, **RETIRED})
async def replace_survey(survey_id: SurveyId, body: SurveyDefinition, _: WriteScope, session: SessionDep) -> Survey:
    return await service.replace_survey(session, survey_id, body)


@router.patch("/{survey_id}", response_model=SurveyRead, responses={**NOT_FOUND, **RETIRED})
async def patch_survey(survey_id: SurveyId, body: SurveyPatch, _: WriteScope, session: SessionDep) -> Survey:
    return await service.patch_survey(session, survey_id, body)


@router.post("/{survey_id}/publish", status_code=201, response_model=SurveyVersionRead, responses={**NOT_FOUND, **RETIRED})
async def publish_survey(survey_id: SurveyId, principal: WriteScope, session: SessionDep) -> SurveyVersion:
    return await service.publish_survey(session, survey_id, author=principal.name)


@router.post("/{survey_id}/retire", response_model=SurveyRead, responses=NOT_FOUND)
async def retire_survey(survey_id: SurveyId, _: WriteScope, session: SessionDep) -> Survey:
    return await service.retire_survey(session, survey_id)


@router.get("/{survey_id}/versions/{version}", response_model=SurveyVersionRead, responses=NOT_FOUND)
async def get_version(
    survey_id: SurveyId, version: Annotated[int, Path(ge=1, le=2_147_483_647)], _: ReadScope, session: ReadSessionDep
) -> SurveyVersion:
    return await service.get_version(session, survey_id, version)
