"""Staff suggestions. The anonymous routes take a staff API key and keep nothing of the request:
the key is checked and forgotten (not even which one matched), and no address or user agent is
read; the service's logging has no access log and binds no client detail."""

from __future__ import annotations

import hmac
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from csq_common.db import utcnow
from csq_common.http.auth import ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.settings import key_digest
from csq_common.types import CursorStr, IdStr
from feedback_svc.settings import SettingsDep
from feedback_svc.suggestions import service
from feedback_svc.suggestions.errors import NotAStaffKey
from feedback_svc.suggestions.schemas import (
    AnonymousReceipt, AnonymousSuggestionCreate, Answer, Decision, EffectReview, FollowUp, FollowUpRead, Implemented,
    NamedSuggestionCreate, Status, SuggestionPage, SuggestionRead, SuggestionReport,
)

router = APIRouter(prefix="/v1/suggestions", tags=["staff suggestions"], dependencies=[Depends(reject_unknown_query_parameters)])

_bearer = HTTPBearer(auto_error=False, description="a staff API key from FEEDBACK_STAFF_API_KEYS")
_PROBLEM = {"content": {"application/problem+json": {}}}
_STEP = {404: {"description": "Unknown suggestion", **_PROBLEM}, 409: {"description": "Not allowed from its state (named)", **_PROBLEM}}


async def staff_key(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)], settings: SettingsDep) -> None:
    """Passes for any staff key, compared in constant time against all; returns nothing, so no
    handler can know which key it was."""
    presented = key_digest(credentials.credentials) if credentials and credentials.scheme.lower() == "bearer" else b""
    matched = False
    for digest in settings.staff_key_digests:
        matched |= hmac.compare_digest(digest, presented)
    if not matched:
        raise NotAStaffKey()


StaffKey = Annotated[None, Depends(staff_key)]


@router.post("/anonymous", status_code=201, response_model=AnonymousReceipt, responses={401: {"description": "No staff key", **_PROBLEM}})
async def submit_anonymous(body: AnonymousSuggestionCreate, _: StaffKey, session: SessionDep) -> service.Receipt:
    """Keep the suggestion with its date only; the follow-up code in the answer is shown once."""
    return await service.submit_anonymous(session, body, today=service.today_of(utcnow()))


@router.post(
    "/anonymous/follow-up",
    response_model=FollowUpRead,
    responses={401: {"description": "No staff key", **_PROBLEM}, 404: {"description": "Unknown code", **_PROBLEM}},
)
async def read_follow_up(body: FollowUp, _: StaffKey, session: ReadSessionDep):
    """The status and the answer of one's own anonymous suggestion (the code travels in the
    body, never in a URL that a proxy might log)."""
    return await service.follow_up(session, body.code)


@router.get("/report", response_model=SuggestionReport)
async def suggestion_report(
    _: ReadScope,
    session: ReadSessionDep,
    group_by: Literal["team", "category"] = "team",
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> dict:
    """Counts by status per group; anonymous counts only for groups of at least 5."""
    return await service.report(session, group_by=group_by, start=start, end=end)


@router.post("", status_code=201, response_model=SuggestionRead)
async def submit_named(body: NamedSuggestionCreate, _: WriteScope, session: SessionDep):
    return await service.submit_named(session, body, today=service.today_of(utcnow()))


@router.get("", response_model=SuggestionPage)
async def list_suggestions(
    _: ReadScope,
    session: ReadSessionDep,
    status: Status | None = None,
    anonymous: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[CursorStr | None, Query()] = None,
) -> service.Page:
    return await service.list_suggestions(session, status=status, anonymous=anonymous, limit=limit, cursor=cursor)


@router.get("/{suggestion_id}", response_model=SuggestionRead, responses={404: {"description": "Unknown suggestion", **_PROBLEM}})
async def get_suggestion(suggestion_id: IdStr, _: ReadScope, session: ReadSessionDep):
    return service.for_managers(await service.get(session, suggestion_id))


@router.post("/{suggestion_id}/decision", response_model=SuggestionRead, responses=_STEP)
async def decide(suggestion_id: IdStr, body: Decision, _: WriteScope, session: SessionDep):
    """Accept or reject a proposed suggestion, naming its owner."""
    return service.for_managers(await service.decide(session, suggestion_id, body, today=service.today_of(utcnow())))


@router.post("/{suggestion_id}/implemented", response_model=SuggestionRead, responses=_STEP)
async def mark_implemented(suggestion_id: IdStr, body: Implemented, _: WriteScope, session: SessionDep):
    return service.for_managers(await service.mark_implemented(session, suggestion_id, body, today=service.today_of(utcnow())))


@router.post("/{suggestion_id}/effect-review", response_model=SuggestionRead, responses=_STEP)
async def review_effect(suggestion_id: IdStr, body: EffectReview, _: WriteScope, session: SessionDep):
    """Record the effect of an implemented suggestion and whether it earns a reward."""
    return service.for_managers(await service.review_effect(session, suggestion_id, body, today=service.today_of(utcnow())))


@router.post("/{suggestion_id}/answer", response_model=SuggestionRead, responses={404: {"description": "Unknown suggestion", **_PROBLEM}})
async def answer(suggestion_id: IdStr, body: Answer, _: WriteScope, session: SessionDep):
    """The answer the sender reads (an anonymous one with the follow-up code)."""
    return service.for_managers(await service.answer(session, suggestion_id, body, today=service.today_of(utcnow())))
