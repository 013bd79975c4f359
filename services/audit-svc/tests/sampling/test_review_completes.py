"""A submitted review completes its reviewer's assignment of the ticket under the plan, in the
review's own transaction; other reviewers' assignments and reviews outside the plan do not."""

from datetime import timedelta

from csq_common.db import utcnow
from audit_svc.sampling.periods import period_containing
from audit_svc.tickets import service as intake
from tests.plans.factories import READER, WRITER, plan_body
from tests.reviews.factories import review_body
from tests.scorecards.factories import published
from tests.tickets.factories import closed


async def test_a_review_completes_the_reviewers_assignment(client):
    now = utcnow()
    last_week = period_containing("weekly", "Asia/Shanghai", (now - timedelta(days=7)).date())
    tickets = [closed(f"T-{n:02d}", closed_at=last_week.start + timedelta(hours=n), agent_id=f"A-{n % 3}") for n in range(6)]
    async with client.app.state.sessions() as session:
        await intake.record_closures(session, tickets)
        await session.commit()
    card = await published(client)
    body = plan_body(scorecard_id=card["scorecard_id"], sampling={"rate": "1"})
    plan_id = (await client.post("/v1/audit-plans", json=body, headers=WRITER)).json()["id"]
    cycle = (await client.post(f"/v1/audit-plans/{plan_id}/cycles", json={"period": last_week.first_day.isoformat(), "seed": 3}, headers=WRITER)).json()
    assignments = (await client.get(f"/v1/cycles/{cycle['id']}", headers=READER)).json()["assignments"]
    first, second = assignments[0], next(a for a in assignments[1:] if a["reviewer_id"] != assignments[0]["reviewer_id"])

    def review_of(assignment, **overrides):
        fields = {
            "plan_id": plan_id, "ticket_id": assignment["ticket_id"], "agent_id": assignment["agent_id"],
            "team_id": assignment["team_id"], "reviewer_id": assignment["reviewer_id"], **overrides,
        }
        return review_body(card["scorecard_id"], **fields)

    # A review refused (422) leaves the assignment open: the completion is part of its transaction.
    refused = await client.post("/v1/reviews", json=review_of(first, answers={"greeting": 7}), headers=WRITER)
    assert refused.status_code == 422
    # Someone else's review of the ticket, and the right reviewer's review outside the plan: no change.
    other = await client.post("/v1/reviews", json=review_of(first, reviewer_id=second["reviewer_id"]), headers=WRITER)
    outside = await client.post("/v1/reviews", json=review_of(first, plan_id=None), headers=WRITER)
    assert other.status_code == outside.status_code == 201
    assert (await client.get(f"/v1/assignments/{first['id']}", headers=READER)).json()["status"] == "assigned"

    review = (await client.post("/v1/reviews", json=review_of(first), headers=WRITER)).json()
    done = (await client.get(f"/v1/assignments/{first['id']}", headers=READER)).json()
    assert (done["status"], done["review_id"]) == ("done", review["id"])
    # A second review of the same ticket leaves the first one recorded.
    await client.post("/v1/reviews", json=review_of(first), headers=WRITER)
    assert (await client.get(f"/v1/assignments/{first['id']}", headers=READER)).json()["review_id"] == review["id"]

    board = (await client.get("/v1/assignments/dashboard", params={"plan_id": plan_id}, headers=READER)).json()
    expected_done = {a["reviewer_id"]: 0 for a in assignments}
    expected_done[first["reviewer_id"]] += 1
    assert {row["reviewer_id"]: row["done"] for row in board["reviewers"] if row["assigned"]} == expected_done
