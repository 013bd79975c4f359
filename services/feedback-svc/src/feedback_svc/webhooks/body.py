"""The raw request body of a signed webhook, read once its headers authenticate it."""

from __future__ import annotations

import time

from fastapi import Request

from csq_common.http.dependencies import get_settings
from feedback_svc.settings import Settings
from feedback_svc.webhooks import signature

#: The webhook's body limit (docs/architecture.md "Guarantees"), declared on its route; csq_common.http.body_limit
#: refuses a larger body with 413 before it is read.
MAX_BODY_BYTES = 1024 * 1024


async def signed_body(request: Request) -> bytes:
    """The raw body once the X-CSQ-* headers authenticate it (the signature is the credential)."""
    settings: Settings = get_settings(request)  # called directly: the hot path solves no dependency
    timestamp = request.headers.get(signature.TIMESTAMP_HEADER)
    presented = request.headers.get(signature.SIGNATURE_HEADER)
    # Refuse an unauthenticated request before reading its body at all.
    signature.check_headers_present(timestamp=timestamp, signature=presented, now=time.time())
    body = await request.body()
    signature.verify(secrets=settings.webhook_secrets, timestamp=timestamp, signature=presented, body=body, now=time.time())
    return body
