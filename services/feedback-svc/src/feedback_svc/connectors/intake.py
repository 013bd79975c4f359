"""One vendor delivery through the door: configured? authentic? mappable? then applied.

The order matters: an unconfigured vendor is a 404 before anything else; headers are checked
before the body is read; only an authenticated body that cannot be mapped is kept (an
unauthenticated one could fill the table). A rejection is kept in a transaction of its own and
answered 422; a mapped change goes to the vendor batcher (group commit) and is answered once its
transaction has committed. Like the generic webhook's, these routes take the bare Request: the
hot path solves no dependency.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType

from fastapi import Request, Response
from csq_common.db import transaction, utcnow
from csq_common.http.dependencies import get_settings
from csq_common.http.problems import error_response
from feedback_svc.connectors import chatwoot, freshdesk, zendesk
from feedback_svc.connectors.batcher import Delivery, VendorBatcher
from feedback_svc.connectors.errors import VendorNotConfigured
from feedback_svc.connectors.mapping import Unmappable, VendorChange
from feedback_svc.connectors.schemas import ConnectorAccepted
from feedback_svc.rejections import service as rejections
from feedback_svc.settings import Settings
from feedback_svc.webhooks.errors import InvalidPayload


@dataclass(frozen=True)
class Vendor:
    source: str
    setting: str  # the variable that configures it, named in the 404
    credentials: Callable[[Settings], tuple[str, ...]]
    check_headers: Callable[..., None]  # (headers, *, now): before the body is read
    verify: Callable[..., None]  # (headers, body, *, secrets, now)
    parse: Callable[..., VendorChange]  # (body, headers, *, received_at)


def _vendor(module: ModuleType, setting: str) -> Vendor:
    return Vendor(
        source=module.SOURCE, setting=setting, credentials=module.credentials, check_headers=module.check_headers,
        verify=module.verify, parse=module.parse,
    )


ZENDESK = _vendor(zendesk, "FEEDBACK_ZENDESK_SIGNING_SECRET")
FRESHDESK = _vendor(freshdesk, "FEEDBACK_FRESHDESK_BASIC_AUTH")
CHATWOOT = _vendor(chatwoot, "FEEDBACK_CHATWOOT_SECRET")


async def authenticated_body(request: Request, vendor: Vendor, secrets: Sequence[str]) -> bytes:
    headers: Mapping[str, str] = request.headers
    vendor.check_headers(headers, now=time.time())
    body = await request.body()
    vendor.verify(headers, body, secrets=secrets, now=time.time())
    return body


async def receive(request: Request, vendor: Vendor) -> Response:
    settings: Settings = get_settings(request)  # called directly: the hot path solves no dependency
    secrets = vendor.credentials(settings)
    if not secrets:
        raise VendorNotConfigured(vendor.source, vendor.setting)
    body = await authenticated_body(request, vendor, secrets)
    received_at: datetime = utcnow()
    try:
        change = vendor.parse(body, request.headers, received_at=received_at)
    except Unmappable as exc:
        # Kept in a transaction of its own: the rejection is its only write.
        async with transaction(request.app.state.sessions) as session:
            await rejections.keep(session, source=vendor.source, body=body, errors=exc.errors, received_at=received_at)
        return error_response(InvalidPayload(exc.errors), instance=request.url.path)
    batcher: VendorBatcher = request.app.state.vendor_batcher
    result = await batcher.submit(Delivery(change, received_at))  # answered once committed
    accepted = ConnectorAccepted(
        duplicate=result.duplicate, source=result.source, delivery_id=result.delivery_id,
        ticket_id=result.ticket_id, events=result.events,
    )
    return Response(accepted.model_dump_json(), status_code=200 if result.duplicate else 202, media_type="application/json")
