from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from csq_common.http.auth import ReadScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.http.openapi import documented_body
from csq_common.types import CursorStr, IdStr, UtcInstant
from feedback_svc.calls import schemas, service
from feedback_svc.calls.schemas import CallAccepted, CallPage
from feedback_svc.settings import SettingsDep
from feedback_svc.webhooks.body import signed_body

_PROBLEM = {"content": {"application/problem+json": {}}}

webhook_router = APIRouter(prefix="/v1/webhooks", tags=["calls"])
calls_router = APIRouter(prefix="/v1/calls", tags=["calls"], dependencies=[Depends(reject_unknown_query_parameters)])


@webhook_router.post(
    "/calls",
    status_code=202,
    response_model=CallAccepted,
    openapi_extra=documented_body(schemas.CallCompletedIn),
    responses={
        200: {"model": CallAccepted, "description": "Duplicate call_id: already accepted, nothing changed"},
        401: {"description": "Missing, stale or wrong signature", **_PROBLEM},
        413: {"description": "Body over 256 KiB", **_PROBLEM},
        422: {"description": "Invalid JSON or fields; `errors` names each field", **_PROBLEM},
    },
)
async def call_webhook(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """A call detail record from the call centre, one per call when it ends, signed like the
    ticket webhook (``X-CSQ-Timestamp``, ``X-CSQ-Signature``)."""
    record = schemas.parse(await signed_body(request))
    result = await service.receive_call(session, record, topic=settings.topic("calls"))
    return Response(
        result.model_dump_json(), status_code=200 if result.duplicate else 202, media_type="application/json"
    )


@calls_router.get("", response_model=CallPage)
async def list_calls(
    _: ReadScope,
    session: ReadSessionDep,
    queue: Annotated[IdStr | None, Query()] = None,
    team_id: Annotated[IdStr | None, Query()] = None,
    agent_id: Annotated[IdStr | None, Query()] = None,
    from_: Annotated[UtcInstant | None, Query(alias="from", description="offered at or after (RFC 3339)")] = None,
    to: Annotated[UtcInstant | None, Query(description="offered before (RFC 3339)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[CursorStr | None, Query()] = None,
) -> service.Page:
    """Call records by offer time (oldest first), filtered by queue, team, agent and window."""
    filters = service.CallFilters(queue=queue, team_id=team_id, agent_id=agent_id, start=from_, end=to)
    return await service.list_calls(session, filters, limit=limit, cursor=cursor)
