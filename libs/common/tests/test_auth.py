"""Bearer API keys with scopes, checked against the digests the settings keep."""

import httpx
import pytest
from fastapi import FastAPI

from csq_common.http import problems
from csq_common.http.auth import AdminScope, AgentReadScope, ReadScope, WriteScope, agent_filter
from csq_common.settings import BaseServiceSettings

READER, WRITER, ADMIN = ("r" * 32, "w" * 32, "a" * 32)


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)
    app.state.settings = BaseServiceSettings(api_keys=f"{READER}:read,{WRITER}:write,{ADMIN}:admin", webhook_secret="s" * 32)

    @app.get("/read")
    async def read(principal: ReadScope) -> dict:
        return {"name": principal.name}

    @app.get("/write")
    async def write(principal: WriteScope) -> dict:
        return {"name": principal.name}

    @app.get("/admin")
    async def admin(principal: AdminScope) -> dict:
        return {"name": principal.name}

    return app


@pytest.fixture
async def client():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as http:
        yield http


async def test_each_key_gets_its_scopes_and_only_those(client):
    allowed = {READER: {"/read"}, WRITER: {"/read", "/write"}, ADMIN: {"/read", "/write", "/admin"}}
    names = {READER: "key-1", WRITER: "key-2", ADMIN: "key-3"}
    for key, paths in allowed.items():
        for path in ("/read", "/write", "/admin"):
            response = await client.get(path, headers={"Authorization": f"Bearer {key}"})
            if path in paths:
                assert response.status_code == 200 and response.json() == {"name": names[key]}, (key, path)
            else:
                assert response.status_code == 403 and key not in response.text, (key, path)


async def test_unknown_or_missing_keys_are_401_without_echoing_the_key(client):
    for headers in ({}, {"Authorization": "Bearer " + "x" * 32}, {"Authorization": f"Bearer {READER[:-1]}"}, {"Authorization": f"Basic {READER}"}):
        response = await client.get("/read", headers=headers)
        assert response.status_code == 401 and response.headers["content-type"] == problems.PROBLEM_JSON
        assert "x" * 32 not in response.text and READER[:-1] not in response.text


AGENT = "g" * 32


def _agent_app() -> FastAPI:
    """An agent's own key (``agent=`` with a namespaced id) beside a supervisor's read key."""
    app = FastAPI()
    problems.install(app)
    app.state.settings = BaseServiceSettings(api_keys=f"{READER}:read,{AGENT}:read:agent=zendesk:A-7", webhook_secret="s" * 32)

    @app.get("/plain")
    async def plain(principal: ReadScope) -> dict:
        return {"name": principal.name}

    @app.get("/mine")
    async def mine(principal: AgentReadScope, agent_id: str | None = None) -> dict:
        return {"agent_id": agent_filter(principal, agent_id)}

    return app


async def test_an_agents_key_reads_only_routes_that_accept_it_and_only_its_agent():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_agent_app()), base_url="http://t") as client:
        agent, reader = {"Authorization": f"Bearer {AGENT}"}, {"Authorization": f"Bearer {READER}"}
        assert (await client.get("/plain", headers=agent)).status_code == 403
        assert (await client.get("/plain", headers=reader)).status_code == 200
        assert (await client.get("/mine", headers=agent)).json() == {"agent_id": "zendesk:A-7"}
        assert (await client.get("/mine", params={"agent_id": "zendesk:A-7"}, headers=agent)).json() == {"agent_id": "zendesk:A-7"}
        assert (await client.get("/mine", params={"agent_id": "zendesk:A-8"}, headers=agent)).status_code == 403
        # A supervisor's key filters on any agent, or none.
        assert (await client.get("/mine", params={"agent_id": "zendesk:A-8"}, headers=reader)).json() == {"agent_id": "zendesk:A-8"}
        assert (await client.get("/mine", headers=reader)).json() == {"agent_id": None}
