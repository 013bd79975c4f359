"""The one error base every service raises; rendered as RFC 9457 problem+json by http.problems."""

from __future__ import annotations

from typing import Any


class CsqError(Exception):
    status_code: int = 400
    type: str = "about:blank"
    title: str = "Bad request"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extensions = extensions


class NotFound(CsqError):
    status_code = 404
    type = "https://csq.dev/problems/not-found"
    title = "Not found"


class Conflict(CsqError):
    status_code = 409
    type = "https://csq.dev/problems/conflict"
    title = "Conflict"


class InvalidInput(CsqError):
    """Input that breaks a rule; ``field`` names the culprit (``errors`` lists several)."""

    status_code = 422
    type = "https://csq.dev/problems/invalid-input"
    title = "Invalid input"

    def __init__(self, field: str | None = None, detail: str | None = None, *, errors: list[dict[str, str]] | None = None) -> None:
        errors = errors if errors is not None else [{"field": field or "body", "message": detail or "invalid"}]
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)


class Unauthorized(CsqError):
    status_code = 401
    type = "https://csq.dev/problems/unauthorized"
    title = "Unauthorized"


class Forbidden(CsqError):
    status_code = 403
    type = "https://csq.dev/problems/forbidden"
    title = "Forbidden"


DATABASE_AWAY = "the database cannot be reached right now; nothing was changed, retry shortly"


class ServiceUnavailable(CsqError):
    """A dependency (the database, the broker) cannot be reached right now: retry later.

    Rendered with a ``Retry-After`` header of ``retry_after_seconds``.
    """

    status_code = 503
    type = "https://csq.dev/problems/service-unavailable"
    title = "Service unavailable"
    retry_after_seconds = 2
