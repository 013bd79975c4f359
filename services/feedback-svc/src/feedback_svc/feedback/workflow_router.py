"""The handling workflow (write scope) and the customer's one-time confirmation page (public:
the token is the credential)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from csq_common.db import utcnow
from csq_common.http.auth import WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.sealing import Sealer
from csq_common.types import IdStr, storable_str
from feedback_svc.feedback import confirmation_page as page, workflow
from feedback_svc.feedback.errors import ConfirmationLinkUnknown
from feedback_svc.feedback.models import FeedbackItem
from feedback_svc.feedback.schemas import FeedbackRead
from feedback_svc.feedback.workflow_schemas import ConfirmationPage, CustomerAnswer, Reply, Triage
from feedback_svc.settings import Settings, SettingsDep

router = APIRouter(prefix="/v1/feedback", tags=["feedback workflow"], dependencies=[Depends(reject_unknown_query_parameters)])
public_router = APIRouter(prefix="/v1/public/feedback", tags=["feedback confirmation (public)"], dependencies=[Depends(reject_unknown_query_parameters)])

_PROBLEM = {"content": {"application/problem+json": {}}}
_STEP = {404: {"description": "Unknown feedback id", **_PROBLEM}, 409: {"description": "Not allowed from the item's state (named)", **_PROBLEM}}
Token = Annotated[storable_str(min_length=1, max_length=200), Path()]


def _targets(settings: Settings) -> workflow.Targets:
    return workflow.Targets(
        response_hours=settings.response_target_hours, resolution_hours=settings.resolution_target_hours,
        link_days=settings.confirmation_link_days,
    )


@router.post("/{feedback_id}/triage", response_model=FeedbackRead, responses=_STEP)
async def triage(feedback_id: IdStr, body: Triage, _: WriteScope, session: SessionDep, settings: SettingsDep) -> FeedbackItem:
    """Assign team and owner (from new or reopened); due times follow the severity."""
    return await workflow.triage(session, feedback_id, body, now=utcnow(), targets=_targets(settings), topic=settings.topic("feedback"))


@router.post("/{feedback_id}/start", response_model=FeedbackRead, responses=_STEP)
async def start(feedback_id: IdStr, _: WriteScope, session: SessionDep) -> FeedbackItem:
    return await workflow.start(session, feedback_id, now=utcnow())


@router.post("/{feedback_id}/reply", response_model=FeedbackRead, responses=_STEP)
async def reply(feedback_id: IdStr, body: Reply, _: WriteScope, session: SessionDep, settings: SettingsDep) -> FeedbackItem:
    """Answer the customer: notify-svc emails the reply with a one-time confirmation link."""
    return await workflow.reply(
        session, feedback_id, body, now=utcnow(), targets=_targets(settings), topic=settings.topic("feedback"),
        sealer=Sealer(settings.notify_public_key), public_base_url=settings.public_base_url,
    )


@router.post("/{feedback_id}/resolve", response_model=FeedbackRead, responses=_STEP)
async def resolve(feedback_id: IdStr, _: WriteScope, session: SessionDep, settings: SettingsDep) -> FeedbackItem:
    return await workflow.resolve(session, feedback_id, now=utcnow(), topic=settings.topic("feedback"))


@public_router.get(
    "/{token}",
    response_model=ConfirmationPage,
    responses={200: {"content": {"text/html": {}}}, 404: {"description": "Unknown, expired or used link", **_PROBLEM}},
)
async def confirmation_page(
    token: Token, request: Request, session: ReadSessionDep,
    answer: Annotated[page.Answer | None, Query(description="the answer to highlight on the HTML page (records nothing)")] = None,
) -> Any:
    """The customer's view behind the link: the reply and where the item stands; an HTML page
    with the two answers for a browser (``Accept: text/html``), JSON otherwise."""
    if not page.wants_html(request):
        return await workflow.confirmation_page(session, token, now=utcnow())
    try:
        found = await workflow.confirmation_page(session, token, now=utcnow())
    except ConfirmationLinkUnknown:
        return page.unknown_link_page(request)
    return page.confirmation_html(token, found, answer)


@public_router.post(
    "/{token}",
    response_model=ConfirmationPage,
    responses={404: {"description": "Unknown, expired or used link", **_PROBLEM}, 409: {"description": "Nothing to confirm yet", **_PROBLEM}},
)
async def answer(token: Token, body: CustomerAnswer, session: SessionDep, settings: SettingsDep) -> dict:
    """``{"resolved": true}`` confirms the resolution, ``false`` reopens the item; once."""
    return await workflow.customer_answer(session, token, body, now=utcnow(), topic=settings.topic("feedback"))
