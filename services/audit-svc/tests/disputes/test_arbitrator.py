"""The per-plan arbitrator: disputes of a plan's reviews go to it (or to the review's reviewer
when the plan names none), and the disputing agent never arbitrates their own dispute."""

from tests.disputes.test_router import ANSWERS, dispute, resolve
from tests.plans.factories import plan_body
from tests.reviews.factories import review_body, submit
from tests.scorecards.factories import READER, WRITER, published

LEAD = "QA-组长-陈静"


async def create_plan(client, **overrides) -> dict:
    response = await client.post("/v1/audit-plans", json=plan_body(**overrides), headers=WRITER)
    assert response.status_code == 201, response.text
    return response.json()


def complaint(**overrides) -> dict:
    return {"agent_id": "A-7", "comment": "录音里已经核实过客户身份", "categories": [{"key": "greeting", "proposed_answer": 1}], **overrides}


async def test_disputes_of_a_plan_go_to_its_arbitrator(client):
    card = await published(client)
    plan = await create_plan(client, scorecard_id=card["scorecard_id"], arbitrator_id=LEAD)
    assert plan["arbitrator_id"] == LEAD
    assert (await client.get(f"/v1/audit-plans/{plan['id']}", headers=READER)).json()["arbitrator_id"] == LEAD
    review = await submit(client, review_body(card["scorecard_id"], ANSWERS, plan_id=plan["id"]))

    refused = await dispute(client, review["id"], complaint(arbitrator_id="QA-李明"), status=422)
    assert refused["errors"][0]["field"] == "arbitrator_id"
    opened = await dispute(client, review["id"], complaint())
    assert opened["arbitrator_id"] == LEAD
    await resolve(client, opened["id"], {"arbitrator_id": review["reviewer_id"], "outcome": "rejected"}, status=403)
    resolved = await resolve(client, opened["id"], {"arbitrator_id": LEAD, "outcome": "accepted"})
    assert resolved["status"] == "accepted"
    listed = (await client.get("/v1/disputes", params={"arbitrator_id": LEAD}, headers=READER)).json()["items"]
    assert [item["id"] for item in listed] == [opened["id"]]

    # The arbitrator removed: the review's own reviewer again.
    patched = await client.patch(f"/v1/audit-plans/{plan['id']}", json={"arbitrator_id": None}, headers=WRITER)
    assert patched.status_code == 200 and patched.json()["arbitrator_id"] is None
    again = await dispute(client, review["id"], complaint(categories=[{"key": "accuracy", "proposed_answer": 5}]))
    assert again["arbitrator_id"] == review["reviewer_id"]


async def test_the_disputing_agent_never_arbitrates(client):
    card = await published(client)
    # A plan's arbitrator among its own agents is refused.
    bad = await client.post("/v1/audit-plans", json=plan_body(scorecard_id=card["scorecard_id"], scope={"agent_ids": ["A-7", "A-8"]}, arbitrator_id="A-8"), headers=WRITER)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "arbitrator_id"
    # A plan whose arbitrator is the reviewed agent (a team lead reviewed too): the reviewer decides.
    plan = await create_plan(client, scorecard_id=card["scorecard_id"], arbitrator_id="A-7")
    review = await submit(client, review_body(card["scorecard_id"], ANSWERS, plan_id=plan["id"]))
    assert (await dispute(client, review["id"], complaint()))["arbitrator_id"] == review["reviewer_id"]
    # The agent naming themselves, or a self-review without a plan arbitrator: 422 on arbitrator_id.
    other = await submit(client, review_body(card["scorecard_id"], ANSWERS))
    assert (await dispute(client, other["id"], complaint(arbitrator_id="A-7"), status=422))["errors"][0]["field"] == "arbitrator_id"
    own = await submit(client, review_body(card["scorecard_id"], ANSWERS, reviewer_id="A-7"))
    assert (await dispute(client, own["id"], complaint(), status=422))["errors"][0]["field"] == "arbitrator_id"
    assert (await dispute(client, own["id"], complaint(arbitrator_id=LEAD)))["arbitrator_id"] == LEAD
