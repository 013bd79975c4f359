"""The raw request body of a signed webhook, read within a byte limit."""

from __future__ import annotations

import time
from fastapi import Request

from feedback_svc.webhooks import signature
from feedback_svc.webhooks.errors import PayloadTooLarge

MAX_BODY_BYTES = 1024 * 1024


async def read_limited(request: Request, *, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused by its Content-Length before reading and counted while streaming."""
    declared = (request.headers.get("content-length") or "").strip()
    if declared.isascii() and declared.isdigit() and int(declared) > limit:  # else: counted below
        raise PayloadTooLarge(f"the body must be at most {limit} bytes (Content-Length says {declared})")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(f"the body must be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def signed_body(request: Request) -> bytes:
    """The raw body once the X-CSQ-* headers authenticate it (the signature is the credential)."""
    secrets = request.app.state.settings.webhook_secrets
    timestamp = request.headers.get(signature.TIMESTAMP_HEADER)
    presented = request.headers.get(signature.SIGNATURE_HEADER)
    # Refuse an unauthenticated request before reading its body at all.
    signature.check_headers_present(timestamp=timestamp, signature=presented, now=time.time())
    body = await read_limited(request)
    signature.verify(secrets=secrets, timestamp=timestamp, signature=presented, body=body, now=time.time())
    return body

