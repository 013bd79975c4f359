"""Disputes through HTTP on both backends: a partially accepted dispute re-scores the review and
publishes audit.completed version 2 for the same review (key and id), a rejected one publishes
nothing, the rules (agent, arbitrator, one open at a time, mandatory comment), the dashboard."""

import pytest

from tests.reviews.factories import FULL_MARKS, completed_events, review_body, submit
from tests.scorecards.factories import PROBLEM, READER, WRITER, published

ANSWERS = {**FULL_MARKS, "greeting": 0, "accuracy": 2}  # (0 + 300 + 100 + 200 + 100) / 10 = 70


async def dispute(client, review_id: str, body: dict, status: int = 201) -> dict:
    response = await client.post(f"/v1/reviews/{review_id}/disputes", json=body, headers=WRITER)
    assert response.status_code == status, response.text
    return response.json()


async def resolve(client, dispute_id: str, body: dict, status: int = 200) -> dict:
    response = await client.post(f"/v1/disputes/{dispute_id}/resolve", json=body, headers=WRITER)
    assert response.status_code == status, response.text
    return response.json()


async def test_a_changed_score_publishes_version_2_of_the_same_review(client):
    card = await published(client)
    review = await submit(client, review_body(card["scorecard_id"], ANSWERS, root_causes={"accuracy": ["培训不足"]}))
    assert review["score"] == pytest.approx(70)

    opened = await dispute(client, review["id"], {
        "agent_id": "A-7", "comment": "客户已确认我报了工号，录音第 3 秒可听到",
        "categories": [{"key": "greeting", "proposed_answer": 1, "comment": "录音 00:03"}, {"key": "accuracy", "proposed_answer": 5}],
    })
    assert (opened["status"], opened["arbitrator_id"], opened["review_version"]) == ("open", "QA-王芳", 1)
    assert [(c["key"], c["original_score"]) for c in opened["categories"]] == [("accuracy", 25.0), ("greeting", 0.0)]
    # One open dispute per review.
    await dispute(client, review["id"], {"agent_id": "A-7", "comment": "再次申诉", "categories": [{"key": "empathy"}]}, status=409)

    await resolve(client, opened["id"], {"arbitrator_id": "QA-李明", "outcome": "rejected"}, status=403)
    resolved = await resolve(client, opened["id"], {
        "arbitrator_id": "QA-王芳", "outcome": "partially_accepted", "answers": {"greeting": 1}, "comment": "问候语成立，准确性维持原判",
    })
    assert resolved["status"] == "partially_accepted" and resolved["resolved_at"] is not None
    assert {c["key"]: (c["final_score"], c["changed"]) for c in resolved["categories"]} == {"greeting": (100.0, True), "accuracy": (25.0, False)}

    rescored = (await client.get(f"/v1/reviews/{review['id']}", headers=READER)).json()
    assert rescored["version"] == 2 and rescored["score"] == pytest.approx(80)
    assert {c["key"]: c["root_causes"] for c in rescored["categories"]}["accuracy"] == ["培训不足"]

    events = await completed_events(client.app.state.sessions)
    assert [(key, event.data["review_id"], event.data["version"]) for _, key, event in events] == [(review["id"], review["id"], 1), (review["id"], review["id"], 2)]
    assert events[1][2].data["score"] == pytest.approx(80) and events[1][2].id != events[0][2].id
    assert events[1][2].data["reviewed_at"] == events[0][2].data["reviewed_at"]
    await resolve(client, opened["id"], {"arbitrator_id": "QA-王芳", "outcome": "rejected"}, status=409)

    # A second dispute, rejected: no new version.
    second = await dispute(client, review["id"], {"agent_id": "A-7", "comment": "准确性也应满分", "categories": [{"key": "accuracy", "proposed_answer": 5}], "arbitrator_id": "QA-主管"})
    rejected = await resolve(client, second["id"], {"arbitrator_id": "QA-主管", "outcome": "rejected"})
    assert [c["changed"] for c in rejected["categories"]] == [False]
    assert len(await completed_events(client.app.state.sessions)) == 2

    report = (await client.get("/v1/disputes/report", headers=READER)).json()
    assert (report["disputes"], report["open"], report["outcomes"]) == (2, 0, {"accepted": 0, "partially_accepted": 1, "rejected": 1})
    assert report["by_category"] == [{"key": "accuracy", "disputed": 2, "changed": 0, "upheld": 2}, {"key": "greeting", "disputed": 1, "changed": 1, "upheld": 0}]
    assert [(r["reviewer_id"], r["disputes"], r["rejected"]) for r in report["by_reviewer"]] == [("QA-王芳", 2, 1)]
    assert report["mean_resolve_seconds"] >= 0
    listed = (await client.get("/v1/disputes", params={"agent_id": "A-7", "status": "rejected"}, headers=READER)).json()
    assert [item["id"] for item in listed["items"]] == [second["id"]]


async def test_accepting_takes_the_proposed_answers_and_bad_disputes_name_the_field(client):
    card = await published(client)
    review = await submit(client, review_body(card["scorecard_id"], {**FULL_MARKS, "verify_identity": 0}))
    assert review["failed_critical"] is True

    bad = await client.post(f"/v1/reviews/{review['id']}/disputes", headers=WRITER, json={
        "agent_id": "A-7", "comment": "   ",
        "categories": [{"key": "nope"}, {"key": "verify_identity", "proposed_answer": "na"}, {"key": "accuracy", "proposed_answer": 9}],
    })
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert [e["field"] for e in bad.json()["errors"]] == ["comment", "categories[0].key", "categories[1].proposed_answer", "categories[2].proposed_answer"]
    missing_comment = await client.post(f"/v1/reviews/{review['id']}/disputes", headers=WRITER, json={"agent_id": "A-7", "categories": [{"key": "greeting"}]})
    assert missing_comment.status_code == 422 and missing_comment.json()["errors"][0]["field"] == "comment"
    await dispute(client, review["id"], {"agent_id": "A-8", "comment": "不是我的", "categories": [{"key": "greeting"}]}, status=403)

    opened = await dispute(client, review["id"], {"agent_id": "A-7", "comment": "已核实身份（短信验证码）", "categories": [{"key": "verify_identity", "proposed_answer": 1}]})
    await resolve(client, opened["id"], {"arbitrator_id": "QA-王芳", "outcome": "partially_accepted", "answers": {"greeting": 0}}, status=422)
    accepted = await resolve(client, opened["id"], {"arbitrator_id": "QA-王芳", "outcome": "accepted"})
    assert accepted["categories"][0]["final_score"] == 100.0
    after = (await client.get(f"/v1/reviews/{review['id']}", headers=READER)).json()
    assert (after["score"], after["failed_critical"], after["version"]) == (110, False, 2)  # the bonus adds 10
    [_, (_, _, v2)] = await completed_events(client.app.state.sessions)
    assert (v2.data["version"], v2.data["failed_critical"], v2.data["score"]) == (2, False, 110)
