"""Calibration sessions through HTTP on both backends: blind until the deadline (own reviews
only, no results, /v1/reviews refuses them), then results against the expert or the agreed
benchmark; calibration reviews never count for the agent."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.reviews.factories import FULL_MARKS, completed_events
from tests.scorecards.factories import PROBLEM, READER, WRITER, published

TICKETS = [{"ticket_id": "T-1", "agent_id": "A-7", "team_id": "billing", "channel": "chat"}, {"ticket_id": "T-2", "agent_id": "A-8"}]


def session_body(scorecard_id: str, **overrides) -> dict:
    deadline = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    body = {"title": "十二月第一周校准", "scorecard_id": scorecard_id, "tickets": TICKETS, "participants": ["QA-甲", "QA-乙"],
            "benchmark": "expert", "expert_id": "专家-周", "deadline": deadline}
    return {**body, **overrides}


async def create_session(client, body: dict) -> dict:
    response = await client.post("/v1/calibrations", json=body, headers=WRITER)
    assert response.status_code == 201, response.text
    return response.json()


async def score(client, calibration_id: str, reviewer: str, ticket: str, answers: dict, status: int = 201) -> dict:
    body = {"reviewer_id": reviewer, "ticket_id": ticket, "answers": answers}
    response = await client.post(f"/v1/calibrations/{calibration_id}/reviews", json=body, headers=WRITER)
    assert response.status_code == status, response.text
    return response.json()


async def readable(client, calibration_id: str, viewer: str | None) -> list[tuple[str, str]]:
    params = {"viewer_id": viewer} if viewer else {}
    response = await client.get(f"/v1/calibrations/{calibration_id}/reviews", params=params, headers=READER)
    assert response.status_code == 200, response.text
    return sorted((r["reviewer_id"], r["ticket_id"]) for r in response.json())


async def test_blind_until_the_deadline_then_aligned_to_the_expert(client):
    card = await published(client)
    calibration = await create_session(client, session_body(card["scorecard_id"]))
    cid = calibration["id"]

    mine = await score(client, cid, "QA-甲", "T-1", {**FULL_MARKS, "accuracy": 3})
    assert (mine["method"], mine["counts_for_agent"], mine["agent_id"], mine["channel"]) == ("calibration", False, "A-7", "chat")
    await score(client, cid, "QA-甲", "T-1", FULL_MARKS, status=409)
    await score(client, cid, "QA-丙", "T-1", FULL_MARKS, status=403)
    await score(client, cid, "专家-周", "T-1", {**FULL_MARKS, "accuracy": 5, "verify_identity": 0})
    await score(client, cid, "QA-乙", "T-1", {**FULL_MARKS, "verify_identity": 0, "empathy": "na"})

    # Blind: each participant reads only their own; nobody reads them elsewhere or sees results.
    assert await readable(client, cid, "QA-甲") == [("QA-甲", "T-1")]
    assert await readable(client, cid, "QA-丁") == []
    assert (await client.get(f"/v1/calibrations/{cid}/reviews", headers=READER)).status_code == 409
    blind = await client.get(f"/v1/reviews/{mine['id']}", headers=READER)
    assert blind.status_code == 403 and blind.headers["content-type"] == PROBLEM
    assert (await client.get("/v1/reviews", params={"agent_id": "A-7"}, headers=READER)).json()["items"] == []
    assert (await client.get(f"/v1/calibrations/{cid}/results", headers=READER)).status_code == 409

    await score(client, cid, "QA-乙", "T-2", FULL_MARKS)
    assert (await client.post(f"/v1/calibrations/{cid}/close", headers=WRITER)).json()["closed_at"] is not None
    await score(client, cid, "QA-甲", "T-2", FULL_MARKS, status=409)

    # After the deadline: QA-甲 submitted only T-1, so reads T-1's reviews; a lead reads all.
    assert await readable(client, cid, "QA-甲") == [("QA-乙", "T-1"), ("QA-甲", "T-1"), ("专家-周", "T-1")]
    assert len(await readable(client, cid, None)) == 4
    assert (await client.get(f"/v1/reviews/{mine['id']}", headers=READER)).status_code == 200

    got = (await client.get(f"/v1/calibrations/{cid}/results", headers=READER)).json()
    assert got["missing_benchmarks"] == ["T-2"]
    alignments = {r["reviewer_id"]: r["alignment"] for r in got["reviews"]}
    # QA-甲: greeting 1, verify 0 (critical, 100 vs 0 across 50), accuracy 1 − 50/100 = 0.5,
    # empathy 1, upsell 1; weights 1, 3, 4, 2, 1 → (1 + 0 + 2 + 2 + 1) / 11.
    assert alignments["QA-甲"] == pytest.approx(6 / 11)
    # QA-乙: verify agrees, accuracy 1, empathy N/A left out → weights 1+3+4+1 all aligned.
    assert alignments["QA-乙"] == pytest.approx(1.0)
    reviewers = {r["reviewer_id"]: r for r in got["reviewers"]}
    assert reviewers["QA-甲"]["mean_difference"] > 0  # lenient: passed a critical the expert failed
    categories = {c["key"]: c for c in got["categories"]}
    assert categories["verify_identity"]["alignment"] == pytest.approx(0.5) and categories["empathy"]["answered"] == 1

    graded = (await client.get("/v1/calibrations/grading", params={"reviewer_id": "QA-甲"}, headers=READER)).json()
    assert [(r["reviewer_id"], r["alignment"]) for r in graded["reviewers"]] == [("QA-甲", pytest.approx(6 / 11))]

    events = [event for _, _, event in await completed_events(client.app.state.sessions)]
    assert events and all(e.data["method"] == "calibration" and e.data["counts_for_agent"] is False for e in events)


async def test_an_agreed_benchmark_is_recorded_after_the_deadline(client):
    card = await published(client)
    bad = await client.post("/v1/calibrations", json=session_body(card["scorecard_id"], benchmark="agreed", deadline="2020-01-01T00:00:00Z"), headers=WRITER)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["expert_id", "deadline"]
    calibration = await create_session(client, session_body(card["scorecard_id"], benchmark="agreed", expert_id=None))
    cid = calibration["id"]
    await score(client, cid, "QA-甲", "T-1", {**FULL_MARKS, "greeting": 0})
    agreed = {"ticket_id": "T-1", "reviewer_id": "QA-主管", "answers": FULL_MARKS}
    early = await client.post(f"/v1/calibrations/{cid}/benchmark", json=agreed, headers=WRITER)
    assert early.status_code == 409
    await client.post(f"/v1/calibrations/{cid}/close", headers=WRITER)
    assert (await client.post(f"/v1/calibrations/{cid}/benchmark", json=agreed, headers=WRITER)).status_code == 201
    assert (await client.post(f"/v1/calibrations/{cid}/benchmark", json=agreed, headers=WRITER)).status_code == 409
    got = (await client.get(f"/v1/calibrations/{cid}/results", headers=READER)).json()
    assert [r["alignment"] for r in got["reviews"]] == [pytest.approx(10 / 11)]
