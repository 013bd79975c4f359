"""The vendor webhook routes: each authenticates the way its vendor signs, then maps and applies."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from csq_common.http.body_limit import larger_body
from csq_common.http.openapi import documented_body
from feedback_svc.connectors import intake
from feedback_svc.connectors.chatwoot import ChatwootEvent
from feedback_svc.connectors.freshdesk import FreshdeskWebhook
from feedback_svc.connectors.schemas import ConnectorAccepted
from feedback_svc.connectors.zendesk import ZendeskEvent

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

#: Vendor payloads carry comment bodies and conversation histories: the generic webhook's limit.
MAX_BODY_BYTES = 1024 * 1024

_PROBLEM = {"content": {"application/problem+json": {}}}


def _route(body_model: type) -> dict:
    return {
        "status_code": 202,
        "response_model": ConnectorAccepted,
        "openapi_extra": {**larger_body(MAX_BODY_BYTES), **documented_body(body_model)},
        "responses": {
            200: {"model": ConnectorAccepted, "description": "A retry of a delivery already applied: nothing changed"},
            401: {"description": "Missing, stale or wrong signature or credentials", **_PROBLEM},
            404: {"description": "This vendor is not configured", **_PROBLEM},
            413: {"description": "Body over 1 MiB", **_PROBLEM},
            422: {"description": "A payload that cannot be mapped; `errors` names each field, and it is kept", **_PROBLEM},
            503: {"description": "Intake queue full or shutting down; retry after `Retry-After` seconds", **_PROBLEM},
        },
    }


@router.post("/zendesk", **_route(ZendeskEvent))
async def zendesk_webhook(request: Request) -> Response:
    """Zendesk event subscriptions (``zen:event-type:ticket.*``) and trigger webhooks, signed with
    ``X-Zendesk-Webhook-Signature`` and ``X-Zendesk-Webhook-Signature-Timestamp``."""
    return await intake.receive(request, intake.ZENDESK)


@router.post("/freshdesk", **_route(FreshdeskWebhook))
async def freshdesk_webhook(request: Request) -> Response:
    """Freshdesk automation-rule webhooks (``freshdesk_webhook``), with HTTP Basic credentials."""
    return await intake.receive(request, intake.FRESHDESK)


@router.post("/chatwoot", **_route(ChatwootEvent))
async def chatwoot_webhook(request: Request) -> Response:
    """Chatwoot conversation and message webhooks, signed with ``X-Chatwoot-Signature``."""
    return await intake.receive(request, intake.CHATWOOT)
