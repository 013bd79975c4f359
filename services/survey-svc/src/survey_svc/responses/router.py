"""The response API: the public one for widgets (the link token is the credential) and the
internal one for answers taken by phone. The HTML answer page is in ``page.py``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from csq_common.db import utcnow
from csq_common.http.auth import WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import storable_str
from survey_svc.responses import service
from survey_svc.responses.page import assets as page_assets
from survey_svc.responses.page import router as page_router
from survey_svc.responses.public import PublicRoute
from survey_svc.responses.schemas import (
    AnswersSubmit,
    PhoneAnswersSubmit,
    ResponseCreated,
    SurveyView,
    survey_view,
)
from survey_svc.settings import SettingsDep
from survey_svc.surveys.schemas import Language

router = APIRouter()
public = APIRouter(prefix="/v1/public/responses", tags=["responses (public)"], route_class=PublicRoute)

Token = Annotated[str, Path(max_length=200)]
STATES = {
    404: {"description": "Unknown link (or not sent, or cancelled)"},
    409: {"description": "Already answered"},
    410: {"description": "The link expired or the survey closed"},
}


@public.get("/{token}", response_model=SurveyView, responses=STATES)
async def get_survey(token: Token, session: ReadSessionDep, lang: Annotated[Language | None, Query()] = None) -> SurveyView:
    """The survey of this link in the invitation's language (or ``lang`` if the survey has it)."""
    answerable = await service.open_by_token(session, token, now=utcnow())
    invitation, definition = answerable.invitation, answerable.definition
    language = service.pick_language(definition, lang, invitation.locale)
    return survey_view(
        definition, survey_id=invitation.survey_id, version=invitation.survey_version, language=language, expires_at=invitation.expires_at
    )


@public.post("/{token}", status_code=201, response_model=ResponseCreated, responses={**STATES, 422: {"description": "Names each bad answer"}})
async def submit_answers(token: Token, body: AnswersSubmit, settings: SettingsDep, session: SessionDep) -> ResponseCreated:
    now = utcnow()
    answerable = await service.open_by_token(session, token, now=now)
    response = await service.submit(session, answerable, body.answers, response_channel="api", topic=settings.topic("surveys"), now=now)
    return ResponseCreated(response_id=response.id, answered_at=response.answered_at)


@router.post(
    "/v1/invitations/{invitation_id}/responses",
    status_code=201,
    response_model=ResponseCreated,
    tags=["responses"],
    dependencies=[Depends(reject_unknown_query_parameters)],
    responses={404: {"description": "Unknown invitation"}, 409: {"description": "Answered, or not sent / cancelled"}, 410: {"description": "Expired"}},
)
async def record_phone_answers(
    invitation_id: Annotated[storable_str(max_length=100), Path()], body: PhoneAnswersSubmit, _: WriteScope, settings: SettingsDep,
    session: SessionDep,
) -> ResponseCreated:
    """Answers an internal system took for this invitation (a phone interview by default)."""
    now = utcnow()
    answerable = await service.open_by_id(session, invitation_id, now=now)
    response = await service.submit(
        session, answerable, body.answers, response_channel=body.channel, topic=settings.topic("surveys"), now=now
    )
    return ResponseCreated(response_id=response.id, answered_at=response.answered_at)


router.include_router(public)
router.include_router(page_router)
router.include_router(page_assets)
