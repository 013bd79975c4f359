from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from feedback_svc.webhooks import schemas
from feedback_svc.webhooks.batcher import WebhookBatcher
from feedback_svc.webhooks.body import SignedBody
from feedback_svc.webhooks.schemas import WebhookAccepted

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

_PROBLEM = {"content": {"application/problem+json": {}}}


def _batcher(request: Request) -> WebhookBatcher:
    return request.app.state.webhook_batcher


BatcherDep = Annotated[WebhookBatcher, Depends(_batcher)]


@router.post(
    "/tickets",
    status_code=202,
    response_model=WebhookAccepted,
    responses={
        200: {"model": WebhookAccepted, "description": "Duplicate event_id: already accepted, nothing changed"},
        401: {"description": "Missing, stale or wrong signature", **_PROBLEM},
        413: {"description": "Body over 1 MiB", **_PROBLEM},
        422: {"description": "Invalid JSON or fields; `errors` names each field", **_PROBLEM},
        503: {"description": "Intake queue full or shutting down; retry after `Retry-After` seconds", **_PROBLEM},
    },
)
async def ticket_webhook(body: SignedBody, batcher: BatcherDep, response: Response) -> WebhookAccepted:
    """Generic CRM ticket event, signed with ``X-CSQ-Timestamp`` and ``X-CSQ-Signature``.

    Answered once the event, its receipt and its outbox rows are committed (group commit).
    """
    result = await batcher.submit(schemas.parse(body))
    if result.duplicate:
        response.status_code = 200
    return result
