"""Agents' own API keys: an agent reads only their own reviews (list and detail) and disputes only
as themselves; every other route refuses the key; supervisors filter with agent_id."""

import pytest

from csq_testing import TEST_API_KEYS, app_client, service_settings
from audit_svc.main import create_app
from audit_svc.settings import Settings
from tests.reviews.factories import review_body, submit
from tests.scorecards.factories import READER, published

AGENT_KEYS = "agent7-read-key:read:agent=A-7,agent7-write-key:write:agent=A-7"
AGENT_7 = {"Authorization": "Bearer agent7-read-key"}
AGENT_7_WRITE = {"Authorization": "Bearer agent7-write-key"}


@pytest.fixture
async def client(database_url, broker, topic_prefix):
    settings = service_settings(Settings, database_url=database_url, broker=broker, topic_prefix=topic_prefix, api_keys=f"{TEST_API_KEYS},{AGENT_KEYS}")
    async with app_client(create_app, settings) as http:
        yield http


async def test_an_agent_reads_only_their_own_reviews(client):
    card = await published(client)
    reviews = [await submit(client, review_body(card["scorecard_id"], agent_id=agent, ticket_id=f"T-{n}")) for n, agent in enumerate(["A-7", "A-8", "A-7", "A-9"])]
    expected_own = {r["id"] for r in reviews if r["agent_id"] == "A-7"}

    own = (await client.get("/v1/reviews", headers=AGENT_7)).json()["items"]
    assert {item["id"] for item in own} == expected_own
    assert (await client.get("/v1/reviews", params={"agent_id": "A-7"}, headers=AGENT_7)).status_code == 200
    assert (await client.get("/v1/reviews", params={"agent_id": "A-8"}, headers=AGENT_7)).status_code == 403
    for review in reviews:
        status = (await client.get(f"/v1/reviews/{review['id']}", headers=AGENT_7)).status_code
        assert status == (200 if review["agent_id"] == "A-7" else 404)

    # A supervisor reads everyone's, or filters on one agent.
    assert len((await client.get("/v1/reviews", headers=READER)).json()["items"]) == len(reviews)
    filtered = (await client.get("/v1/reviews", params={"agent_id": "A-8"}, headers=READER)).json()["items"]
    assert [item["id"] for item in filtered] == [r["id"] for r in reviews if r["agent_id"] == "A-8"]

    # Other routes refuse an agent's key: plans, dashboards, disputes of everyone, grading.
    for path in ("/v1/audit-plans", "/v1/disputes", "/v1/calibrations/grading", "/v1/scorecards"):
        assert (await client.get(path, headers=AGENT_7)).status_code == 403, path

    # The agent disputes their own review as themselves, not as someone else.
    mine, theirs = reviews[0], reviews[1]
    body = {"agent_id": "A-7", "comment": "客户当时已经确认过身份信息", "categories": [{"key": "accuracy", "proposed_answer": 5}]}
    assert (await client.post(f"/v1/reviews/{mine['id']}/disputes", json=body, headers=AGENT_7)).status_code == 403  # read-only key
    assert (await client.post(f"/v1/reviews/{mine['id']}/disputes", json=body, headers=AGENT_7_WRITE)).status_code == 201
    as_other = {**body, "agent_id": "A-8"}
    assert (await client.post(f"/v1/reviews/{theirs['id']}/disputes", json=as_other, headers=AGENT_7_WRITE)).status_code == 403
    assert (await client.post("/v1/reviews", json=review_body(card["scorecard_id"]), headers=AGENT_7_WRITE)).status_code == 403
