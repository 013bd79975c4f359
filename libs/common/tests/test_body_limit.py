"""Every request body is capped before a handler sees it (csq_common.http.body_limit)."""

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from csq_common.http import body_limit, problems
from csq_common.http.body_limit import DEFAULT_MAX_BODY_BYTES, larger_body

PROBLEM = "application/problem+json"


class Note(BaseModel):
    text: str


def _app(ran: list[str]) -> FastAPI:
    app = FastAPI()
    problems.install(app)
    body_limit.install(app)
    router = APIRouter()

    @router.post("/notes")
    async def create_note(note: Note):
        ran.append("notes")
        return {"length": len(note.text)}

    @router.post("/raw/{name}", openapi_extra=larger_body(1024 * 1024))
    async def raw(name: str, request: Request):
        body = await request.body()
        ran.append("raw")
        return {"length": len(body)}

    app.include_router(router)
    return app


@pytest.fixture
def ran() -> list[str]:
    return []


@pytest.fixture
async def client(ran):
    transport = httpx.ASGITransport(app=_app(ran))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


def _chunks(body: bytes, size: int = 32 * 1024):
    async def stream():
        for start in range(0, len(body), size):
            yield body[start : start + size]

    return stream()


def _note(length: int) -> bytes:
    return b'{"text": "' + b"x" * (length - 12) + b'"}'


async def test_a_body_over_the_default_is_413_problem_by_length_and_while_streaming(client, ran):
    body = _note(300 * 1024)
    by_length = await client.post("/notes", content=body, headers={"Content-Type": "application/json"})
    streamed = await client.post("/notes", content=_chunks(body), headers={"Content-Type": "application/json"})
    assert "content-length" not in streamed.request.headers
    for response in (by_length, streamed):
        assert response.status_code == 413 and response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "https://csq.dev/problems/payload-too-large"
        assert str(DEFAULT_MAX_BODY_BYTES) in response.json()["detail"]
    assert ran == []


async def test_the_default_limit_itself_is_allowed(client, ran):
    body = _note(DEFAULT_MAX_BODY_BYTES)
    assert len(body) == DEFAULT_MAX_BODY_BYTES
    for content in (body, _chunks(body)):
        response = await client.post("/notes", content=content, headers={"Content-Type": "application/json"})
        assert response.status_code == 200
    assert ran == ["notes", "notes"]


async def test_a_route_declares_a_larger_limit(client, ran):
    allowed, over = b"y" * (1024 * 1024), b"y" * (1024 * 1024 + 1)
    assert (await client.post("/raw/a", content=allowed)).json() == {"length": len(allowed)}
    assert (await client.post("/raw/a", content=_chunks(allowed))).json() == {"length": len(allowed)}
    assert (await client.post("/raw/a", content=over)).status_code == 413
    streamed = await client.post("/raw/a", content=_chunks(over))
    assert streamed.status_code == 413 and streamed.headers["content-type"] == PROBLEM
    assert "1048576" in streamed.json()["detail"]
    assert ran == ["raw", "raw"]  # the handler never had the refused bodies


async def test_a_request_refused_before_its_body_is_read_is_refused_as_it_would_be(client):
    response = await client.post("/nowhere", content=b"z" * (300 * 1024))
    assert response.status_code == 404  # nothing asked for the body: none of it was read


async def test_a_refusal_no_handler_renders_is_answered_413_by_the_middleware():
    """An app with no exception handlers (the refusal escapes to the middleware itself)."""

    async def bare_app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass

    app = body_limit.LimitRequestBodies(bare_app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.post("/", content=_chunks(b"z" * (DEFAULT_MAX_BODY_BYTES + 1)))
    assert response.status_code == 413 and response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 413
