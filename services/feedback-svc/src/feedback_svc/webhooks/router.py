from __future__ import annotations

from fastapi import APIRouter, Request, Response

from csq_common.http.app import SessionDep
from feedback_svc.webhooks import schemas, service
from feedback_svc.webhooks.body import SignedBody
from feedback_svc.webhooks.schemas import WebhookAccepted

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

_PROBLEM = {"content": {"application/problem+json": {}}}


@router.post(
    "/tickets",
    status_code=202,
    response_model=WebhookAccepted,
    responses={
        200: {"model": WebhookAccepted, "description": "Duplicate event_id: already accepted, nothing changed"},
        401: {"description": "Missing, stale or wrong signature", **_PROBLEM},
        413: {"description": "Body over 1 MiB", **_PROBLEM},
        422: {"description": "Invalid JSON or fields; `errors` names each field", **_PROBLEM},
    },
)
async def ticket_webhook(body: SignedBody, request: Request, response: Response, session: SessionDep) -> WebhookAccepted:
    """Generic CRM ticket event, signed with ``X-CSQ-Timestamp`` and ``X-CSQ-Signature``."""
    payload = schemas.parse(body)
    result = await service.receive_ticket_webhook(session, payload, topic=request.app.state.settings.topic("tickets"))
    if result.duplicate:
        response.status_code = 200
    return result
