"""Feedback items: intake by API key or signed webhook, lists and single items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import ValidationError

from csq_common.db import utcnow
from csq_common.events import FeedbackChannel, FeedbackKind
from csq_common.http.auth import ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.http.openapi import documented_body
from csq_common.http.problems import validation_errors
from csq_common.types import CursorStr, IdStr, UtcInstant
from feedback_svc.feedback import service
from feedback_svc.feedback.models import FeedbackItem
from feedback_svc.feedback.schemas import FeedbackAccepted, FeedbackCreate, FeedbackPage, FeedbackPush, FeedbackRead, Source, Status
from feedback_svc.settings import SettingsDep
from feedback_svc.webhooks.body import signed_body
from feedback_svc.webhooks.errors import InvalidPayload

router = APIRouter(prefix="/v1/feedback", tags=["feedback"], dependencies=[Depends(reject_unknown_query_parameters)])
webhook_router = APIRouter(prefix="/v1/webhooks", tags=["feedback"])

_PROBLEM = {"content": {"application/problem+json": {}}}


def _accepted(intake: service.Intake, response: Response) -> FeedbackAccepted:
    response.status_code = 200 if intake.duplicate else 201
    return FeedbackAccepted.model_validate({**FeedbackRead.model_validate(intake.item).model_dump(), "duplicate": intake.duplicate})


@router.post(
    "",
    status_code=201,
    response_model=FeedbackAccepted,
    responses={200: {"model": FeedbackAccepted, "description": "Same (source, external_id) again: the stored item, unchanged"}},
)
async def create_feedback(
    body: FeedbackCreate, _: WriteScope, session: SessionDep, settings: SettingsDep, response: Response
) -> FeedbackAccepted:
    """A complaint, suggestion, praise or enquiry from any channel: classified, rated, stored."""
    return _accepted(await service.receive(session, body, now=utcnow(), topic=settings.topic("feedback")), response)


@webhook_router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackAccepted,
    openapi_extra=documented_body(FeedbackPush),
    responses={
        200: {"model": FeedbackAccepted, "description": "Same (source, external_id) again: the stored item, unchanged"},
        401: {"description": "Missing, stale or wrong signature", **_PROBLEM},
        422: {"description": "Invalid JSON or fields; `errors` names each field", **_PROBLEM},
    },
)
async def feedback_webhook(
    raw: Annotated[bytes, Depends(signed_body)], session: SessionDep, settings: SettingsDep, response: Response
) -> FeedbackAccepted:
    """A platform pushes a feedback item, signed like the ticket webhook (``X-CSQ-Timestamp``,
    ``X-CSQ-Signature``); its ``external_id`` makes a retried delivery a duplicate. The signature
    is checked first, before a database session is opened."""
    try:
        body = FeedbackPush.model_validate_json(raw)
    except ValidationError as error:
        raise InvalidPayload(validation_errors(error.errors())) from None
    return _accepted(await service.receive(session, body, now=utcnow(), topic=settings.topic("feedback")), response)


@router.get("", response_model=FeedbackPage)
async def list_feedback(
    _: ReadScope,
    session: ReadSessionDep,
    received_from: Annotated[UtcInstant | None, Query(alias="from")] = None,
    received_to: Annotated[UtcInstant | None, Query(alias="to")] = None,
    kind: FeedbackKind | None = None,
    category: Annotated[IdStr | None, Query()] = None,
    channel: FeedbackChannel | None = None,
    source: Annotated[Source | None, Query()] = None,
    status: Status | None = None,
    severity: Annotated[int | None, Query(ge=1, le=4)] = None,
    team_id: Annotated[IdStr | None, Query()] = None,
    agent_id: Annotated[IdStr | None, Query()] = None,
    customer_id: Annotated[IdStr | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[CursorStr | None, Query()] = None,
) -> service.Page:
    """Newest received first; ``from``/``to`` bound ``received_at`` as [from, to)."""
    filters = service.ItemFilters(
        received_from=received_from, received_to=received_to, kind=kind, category=category, channel=channel,
        source=source, status=status, severity=severity, team_id=team_id, agent_id=agent_id, customer_id=customer_id,
    )
    return await service.list_items(session, filters, limit=limit, cursor=cursor)


@router.get("/{feedback_id}", response_model=FeedbackRead, responses={404: {"description": "Unknown feedback id", **_PROBLEM}})
async def get_feedback(feedback_id: IdStr, _: ReadScope, session: ReadSessionDep) -> FeedbackItem:
    return await service.get_item(session, feedback_id)
