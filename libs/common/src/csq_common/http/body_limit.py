"""A cap on every request body, enforced before the application reads any of it.

``LimitRequestBodies`` is pure ASGI middleware (as ``metrics.ObserveRequests``). When the
application first asks for the body (routing is done by then, so the route's own limit is known),
a ``Content-Length`` over the limit is refused before a byte is read; a body without one
(chunked) is counted as it streams and refused at the read that crosses the limit. Either way
``BodyTooLarge`` is raised inside that read and rendered as 413 problem+json, and a handler whose
parameters come from the body never runs. A route that never reads its body is not affected.

The limit is ``DEFAULT_MAX_BODY_BYTES`` unless the route declares a larger one with
``openapi_extra=larger_body(n)`` (which also documents it in the OpenAPI operation).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException

from csq_common.errors import CsqError
from csq_common.http.problems import error_response

DEFAULT_MAX_BODY_BYTES = 256 * 1024
MAX_BODY_EXTENSION = "x-csq-max-body-bytes"


def larger_body(max_bytes: int) -> dict[str, int]:
    """``openapi_extra`` of a route that takes bodies up to ``max_bytes``."""
    return {MAX_BODY_EXTENSION: max_bytes}


class BodyTooLarge(CsqError, HTTPException):
    """A request body over its route's limit. Also an HTTPException so that FastAPI, reading a
    body for a handler, passes it on as it is instead of turning it into a 400."""

    status_code = 413
    type = "https://csq.dev/problems/payload-too-large"
    title = "Payload too large"

    def __init__(self, limit: int) -> None:
        # CsqError's fields, set here: its __init__ would hand the detail on to HTTPException's.
        self.detail = f"the body must be at most {limit} bytes"
        Exception.__init__(self, self.detail)
        self.extensions: dict = {}
        self.headers = None
        self.limit = limit


def _declared_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def route_limit(scope, default: int) -> int:
    """The body limit of the route the request was routed to (``scope["route"]``)."""
    extra = getattr(scope.get("route"), "openapi_extra", None)
    return extra.get(MAX_BODY_EXTENSION, default) if extra else default


class LimitRequestBodies:
    """Refuse request bodies over the route's limit with 413 problem+json (see module doc)."""

    def __init__(self, app, *, default_limit: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.default_limit = default_limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit: int | None = None  # known at the first read, once the request is routed
        received = 0

        async def limited_receive():
            nonlocal limit, received
            if limit is None:
                limit = route_limit(scope, self.default_limit)
                declared = _declared_length(scope)
                if declared is not None and declared > limit:
                    raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def send_tracking(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, send_tracking)
        except BodyTooLarge as exc:  # a handler let it through: answer here while we still can
            if started:
                raise
            await send_too_large(scope, send, exc.limit)


async def send_too_large(scope, send, limit: int) -> None:
    """The 413 problem, without ``instance``: some paths carry a one-time token."""
    response = error_response(BodyTooLarge(limit))
    response.headers["Connection"] = "close"  # the unread body is left on the connection
    await response(scope, None, send)


def install(app) -> None:
    app.add_middleware(LimitRequestBodies)
