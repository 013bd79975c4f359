import httpx
from fastapi import FastAPI
from pydantic import BaseModel, Field

from csq_common.errors import Conflict
from csq_common.http import problems


def test_field_path_names_nested_fields_and_list_items():
    assert problems.field_path(("body", "ticket", "created_at")) == "ticket.created_at"
    assert problems.field_path(("body", "ticket", "tags", 2)) == "ticket.tags[2]"
    assert problems.field_path(("query", "from")) == "from"


class Item(BaseModel):
    name: str = Field(min_length=1)
    count: int


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.post("/items")
    async def create(item: Item):
        if item.name == "taken":
            raise Conflict("an item named taken exists")
        return item

    @app.get("/boom")
    async def boom():
        raise RuntimeError("secret internals")

    return app


async def _client():
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(), raise_app_exceptions=False), base_url="http://t")


async def test_validation_error_is_problem_json_naming_the_field():
    async with await _client() as client:
        response = await client.post("/items", json={"name": "", "count": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {e["field"] for e in body["errors"]} == {"name", "count"}
    assert "name" in body["detail"] and body["status"] == 422


async def test_domain_error_and_unexpected_error_render_as_problems():
    async with await _client() as client:
        conflict = await client.post("/items", json={"name": "taken", "count": 1})
        boom = await client.get("/boom")
        missing = await client.get("/nowhere")
    assert conflict.status_code == 409 and conflict.json()["detail"] == "an item named taken exists"
    assert boom.status_code == 500 and "secret internals" not in boom.text
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


async def test_the_request_session_commits_before_the_response_is_sent(sessions):
    """A commit that fails must turn into an error response, never a 2xx for lost data."""
    from csq_common.bus.models import InboxMessage
    from csq_common.db import utcnow
    from csq_common.http.dependencies import SessionDep

    app = FastAPI()
    problems.install(app)
    app.state.sessions = sessions

    @app.post("/inbox/{event_id}", status_code=202)
    async def record(event_id: str, session: SessionDep):
        session.add(InboxMessage(consumer_group="g", event_id=event_id, event_type="t", topic="t", received_at=utcnow()))
        return {"ok": True}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.post("/inbox/a")).status_code == 202
        duplicate = await client.post("/inbox/a")  # primary key clash, found only at commit
    assert duplicate.status_code == 500


def _database_app(url: str) -> FastAPI:
    from sqlalchemy import text

    from csq_common.db import create_engine

    app = FastAPI()
    problems.install(app)
    engine = create_engine(url)

    @app.get("/query")
    async def query(sql: str):
        async with engine.connect() as connection:
            return {"value": await connection.scalar(text(sql))}

    return app


async def test_a_database_that_cannot_be_reached_is_a_503_with_retry_after_and_a_bad_statement_a_500(tmp_path):
    from csq_testing import free_port

    away = _database_app(f"postgresql+asyncpg://csq@127.0.0.1:{free_port()}/nothing")  # nothing listens there
    here = _database_app(f"sqlite+aiosqlite:///{tmp_path / 'here.db'}")
    for app, sql, status in ((away, "SELECT 1", 503), (here, "SELECT nonsense FROM nowhere", 500), (here, "SELECT 7", 200)):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/query", params={"sql": sql})
        assert response.status_code == status, (sql, response.text)
        if status == 503:
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"] == "2"
            assert response.json()["type"].endswith("/service-unavailable") and "retry" in response.json()["detail"]
        if status == 500:
            assert "nowhere" not in response.text  # the statement's details stay in the log
