"""StorableStr and the refusal of unknown query parameters: 422s that name the field."""

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel

from csq_common.http import problems
from csq_common.http.dependencies import reject_unknown_query_parameters
from csq_common.types import CursorStr, StorableStr, storable_str


class Answer(BaseModel):
    text: StorableStr
    key: storable_str(min_length=1, max_length=20)


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)
    router = APIRouter(dependencies=[Depends(reject_unknown_query_parameters)])

    def page(cursor: Annotated[CursorStr | None, Query()] = None) -> str | None:
        return cursor

    @router.post("/answers")
    async def answer(body: Answer, channel: Annotated[StorableStr | None, Query()] = None, cursor=Depends(page)):
        return {"channel": channel, "cursor": cursor}

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
