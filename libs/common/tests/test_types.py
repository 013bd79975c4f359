"""StorableStr, UtcInstant and the refusal of unknown query parameters: 422s that name the field."""

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel

from csq_common.http import problems
from csq_common.http.dependencies import reject_unknown_query_parameters
from csq_common.types import CursorStr, StorableStr, UtcInstant, storable_str


class Answer(BaseModel):
    text: StorableStr
    key: storable_str(min_length=1, max_length=20)


class Appointment(BaseModel):
    due_at: UtcInstant


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)
    router = APIRouter(dependencies=[Depends(reject_unknown_query_parameters)])

    def page(cursor: Annotated[CursorStr | None, Query()] = None) -> str | None:
        return cursor

    @router.post("/answers")
    async def answer(body: Answer, channel: Annotated[StorableStr | None, Query()] = None, cursor=Depends(page)):
        return {"channel": channel, "cursor": cursor}

    @router.post("/appointments")
    async def appoint(body: Appointment, since: Annotated[UtcInstant | None, Query(alias="from")] = None):
        return {"due_at": body.due_at.isoformat(), "from": since.isoformat() if since else None}

    app.include_router(router)
    return app


@pytest.fixture
async def client():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as http:
        yield http


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"text": "a\\u0000b", "key": "k"}', "text"),
        ('{"text": "\\ud800", "key": "k"}', "text"),
        ('{"text": "ok", "key": "\\udfff"}', "key"),
        ('{"text": "ok", "key": "k\\u0000"}', "key"),
    ],
)
async def test_nul_and_lone_surrogates_in_a_body_are_422_naming_the_field(client, body, field):
    response = await client.post("/answers", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_nul_in_a_query_parameter_is_422_naming_it(client):
    for name in ("channel", "cursor"):
        response = await client.post(f"/answers?{name}=a%00b", json={"text": "ok", "key": "k"})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == name
        assert response.json()["errors"][0]["message"] == "must not contain NUL characters"


async def test_unknown_query_parameters_are_422_naming_each(client):
    ok = await client.post("/answers?channel=chat&cursor=c", json={"text": "ok", "key": "k"})
    assert ok.status_code == 200 and ok.json() == {"channel": "chat", "cursor": "c"}
    response = await client.post("/answers?chanel=chat&limit=3&cursor=c", json={"text": "ok", "key": "k"})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["chanel", "limit"]


async def test_a_problem_quoting_a_lone_surrogate_is_still_a_422(client):
    # The dictionary key appears in the field name of the problem; rendering it must not fail.
    response = await client.post("/answers", content='{"text": "ok", "key": "k", "\\ud800": 1}', headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    bad = await client.post("/answers", content='{"text": 5, "key": "\\ud800"}', headers={"Content-Type": "application/json"})
    assert bad.status_code == 422 and {error["field"] for error in bad.json()["errors"]} == {"text", "key"}


async def test_utc_instants_are_kept_in_utc(client):
    response = await client.post("/appointments?from=2026-03-01T08:00:00%2B08:00", json={"due_at": "2026-03-01T23:30:00-05:00"})
    assert response.status_code == 200, response.text
    assert response.json() == {"due_at": "2026-03-02T04:30:00+00:00", "from": "2026-03-01T00:00:00+00:00"}


@pytest.mark.parametrize("moment", ["0001-01-01T00:01:00+12:19", "9999-12-31T23:59:59-00:01"])
async def test_an_instant_without_a_utc_value_is_a_422_naming_the_field(client, moment):
    # Year 0 or year 10000 once the offset is taken off: no datetime holds it.
    in_body = await client.post("/appointments", json={"due_at": moment})
    assert in_body.status_code == 422, in_body.text
    assert in_body.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["message"]) for e in in_body.json()["errors"]] == [("due_at", "is out of range (years 1-9999 in UTC)")]
    in_query = await client.post("/appointments", params={"from": moment}, json={"due_at": "2026-03-01T00:00:00Z"})
    assert in_query.status_code == 422, in_query.text
    assert [e["field"] for e in in_query.json()["errors"]] == ["from"]


async def test_an_instant_without_an_offset_is_a_422(client):
    response = await client.post("/appointments", json={"due_at": "2026-03-01T00:00:00"})
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["due_at"]
