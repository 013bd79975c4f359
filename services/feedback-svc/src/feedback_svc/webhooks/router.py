from __future__ import annotations

from fastapi import APIRouter, Request, Response

from csq_common.http.body_limit import larger_body
from csq_common.http.openapi import documented_body
from feedback_svc.webhooks import schemas
from feedback_svc.webhooks.batcher import WebhookBatcher
from feedback_svc.webhooks.body import MAX_BODY_BYTES, signed_body
from feedback_svc.webhooks.schemas import WebhookAccepted

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

_PROBLEM = {"content": {"application/problem+json": {}}}


@router.post(
    "/tickets",
    status_code=202,
    response_model=WebhookAccepted,
    openapi_extra={**larger_body(MAX_BODY_BYTES), **documented_body(schemas.TicketWebhookBody)},
    responses={
        200: {"model": WebhookAccepted, "description": "Duplicate event_id: already accepted, nothing changed"},
        401: {"description": "Missing, stale or wrong signature", **_PROBLEM},
        413: {"description": "Body over 1 MiB", **_PROBLEM},
        422: {"description": "Invalid JSON or fields; `errors` names each field", **_PROBLEM},
        503: {"description": "Intake queue full or shutting down; retry after `Retry-After` seconds", **_PROBLEM},
    },
)
async def ticket_webhook(request: Request) -> Response:
    """Generic CRM ticket event (a lifecycle event, or ``ticket.message_added`` with one message),
    signed with ``X-CSQ-Timestamp`` and ``X-CSQ-Signature``.

    Answered once the event, its receipt and its outbox rows are committed (group commit).
    """
    # The hot path takes the bare Request and answers a ready Response: no dependency (FastAPI
    # solves each one per request and runs a plain `def` one in a worker thread) and no
    # response-model round trip. The body is read raw because the signature covers its bytes.
    batcher: WebhookBatcher = request.app.state.webhook_batcher
    result = await batcher.submit(schemas.parse(await signed_body(request)))
    return Response(
        WebhookAccepted.__pydantic_serializer__.to_json(result),
        status_code=200 if result.duplicate else 202,
        media_type="application/json",
    )
