"""RFC 9457 problem+json for every error, with 422s naming the offending field."""

from __future__ import annotations

import json
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from csq_common.db import database_unavailable
from csq_common.errors import DATABASE_AWAY, CsqError, ServiceUnavailable

log = structlog.get_logger(__name__)
PROBLEM_JSON = "application/problem+json"


class ProblemResponse(JSONResponse):
    """problem+json, ASCII-escaped: a problem may quote what the client sent (a field name, a
    dictionary key), and a lone surrogate in it must not turn the 4xx into an encoding error."""

    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def problem(status: int, title: str, detail: str, *, type_: str = "about:blank", instance: str | None = None, **ext: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(ext)
    return ProblemResponse(body, status_code=status)


def field_path(loc: tuple | list) -> str:
    """``("body", "ticket", "created_at")`` → ``ticket.created_at``; lists as ``tags[2]``."""
    parts: list[str] = []
    for item in loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or (str(loc[0]) if loc else "body")


def validation_errors(errors: list[dict]) -> list[dict[str, str]]:
    return [{"field": field_path(error.get("loc", ())), "message": _message(error)} for error in errors]


def _message(error: dict) -> str:
    """pydantic's message; a validator's own ``ValueError`` text without pydantic's prefix."""
    message = error.get("msg", "invalid")
    return message.removeprefix("Value error, ") if error.get("type") == "value_error" else message


def error_problem(request: Request, exc: CsqError) -> JSONResponse:
    return error_response(exc, instance=request.url.path)


def error_response(exc: CsqError, *, instance: str | None = None) -> JSONResponse:
    """``exc`` as problem+json (with its ``Retry-After`` when it has one)."""
    response = problem(exc.status_code, exc.title, exc.detail, type_=exc.type, instance=instance, **exc.extensions)
    retry_after = getattr(exc, "retry_after_seconds", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(CsqError)
    async def _csq_error(request: Request, exc: CsqError):
        return error_problem(request, exc)

    async def _dependency_error(request: Request, exc: Exception):
        # A database that went away (restart, failover, network) is a 503 the client can retry,
        # not a 500; anything else a driver raises is a bug and logged as one.
        if database_unavailable(exc):
            log.warning("http.database_unavailable", path=request.url.path, error=repr(exc)[:300])
            return error_problem(request, ServiceUnavailable(DATABASE_AWAY))
        return await _unexpected(request, exc)

    app.add_exception_handler(DBAPIError, _dependency_error)
    app.add_exception_handler(ConnectionError, _dependency_error)
    app.add_exception_handler(TimeoutError, _dependency_error)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = validation_errors(exc.errors())
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(
            422, "Invalid input", detail, type_="https://csq.dev/problems/invalid-input", instance=request.url.path, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return problem(exc.status_code, exc.detail if isinstance(exc.detail, str) else "Error", str(exc.detail), instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("http.unhandled_error", path=request.url.path)
        return problem(500, "Internal server error", "an unexpected error occurred; it has been logged", instance=request.url.path)
