"""/v1/reviews through HTTP on both backends: a submitted review, its audit.completed in the
outbox with exactly the documented fields, observations without a ticket, the 422s naming the
category, and agents reading their own reviews."""

import pytest

from tests.reviews.factories import FULL_MARKS, completed_events, review_body, submit
from tests.scorecards.factories import PROBLEM, READER, WRITER, definition, published

# audit.completed's payload (csq_common.events), with its version (docs/architecture.md "Events").
COMPLETED_FIELDS = {
    "review_id", "plan_id", "method", "ticket_id", "agent_id", "team_id", "channel", "scorecard_id", "scorecard_version",
    "score", "failed_critical", "reviewer_id", "reviewed_at", "categories", "counts_for_agent", "version",
}


async def test_a_submitted_review_is_scored_and_published(client):
    card = await published(client)
    answers = {"greeting": 0, "verify_identity": 1, "accuracy": 4, "empathy": "na", "upsell": 5}
    body = review_body(card["scorecard_id"], answers, root_causes={"greeting": ["未报工号"]}, comments={"greeting": "没有报工号，语气也比较生硬"}, plan_id="P-1")
    review = await submit(client, body)
    # greeting 0 ×1, verify 100 ×3, accuracy 75 ×4, empathy N/A, upsell (bonus) 50 ×1:
    # (0 + 300 + 300 + 50) / (1 + 3 + 4)
    assert review["score"] == pytest.approx(650 / 8)
    assert review["failed_critical"] is False and review["counts_for_agent"] is True and review["version"] == 1
    by_key = {c["key"]: c for c in review["categories"]}
    assert by_key["empathy"]["answer"] == "na" and by_key["empathy"]["score"] is None
    assert by_key["greeting"]["root_causes"] == ["未报工号"] and by_key["greeting"]["comment"] == "没有报工号，语气也比较生硬"
    assert (await client.get(f"/v1/reviews/{review['id']}", headers=READER)).json() == {**review, "transcript": []}

    [(topic, key, event)] = await completed_events(client.app.state.sessions)
    assert (topic, key, event.subject) == (client.app.state.settings.topic("audits"), review["id"], review["id"])
    assert set(event.data) - {"schema_version"} == COMPLETED_FIELDS
    assert event.data["score"] == pytest.approx(650 / 8) and event.data["version"] == 1 and event.data["plan_id"] == "P-1"
    assert event.data["categories"][3] == {"category_id": "empathy", "score": None}
    assert (event.data["agent_id"], event.data["team_id"], event.data["channel"], event.data["method"]) == ("A-7", "billing", "phone", "internal")

    # A critical category below 50 zeroes the review.
    failed = await submit(client, review_body(card["scorecard_id"], {**FULL_MARKS, "verify_identity": 0}))
    assert (failed["score"], failed["failed_critical"]) == (0, True)


async def test_observations_without_a_ticket_and_the_agent_reading_their_reviews(client):
    card = await published(client)
    shopper = review_body(
        card["scorecard_id"], ticket_id=None, method="mystery_shopper", agent_id="A-9", channel="in_person",
        context={"store": "上海南京西路店", "date": "2026-11-28", "observer": "神秘顾客 #12", "notes": "店员主动问候"},
    )
    observed = await submit(client, shopper)
    assert observed["ticket_id"] is None and observed["context"]["store"] == "上海南京西路店"
    await submit(client, review_body(card["scorecard_id"], agent_id="A-7"))

    mine = (await client.get("/v1/reviews", params={"agent_id": "A-9"}, headers=READER)).json()
    assert [item["id"] for item in mine["items"]] == [observed["id"]] and mine["next_cursor"] is None
    page = (await client.get("/v1/reviews", params={"scorecard_id": card["scorecard_id"], "limit": 1}, headers=READER)).json()
    rest = (await client.get("/v1/reviews", params={"scorecard_id": card["scorecard_id"], "cursor": page["next_cursor"]}, headers=READER)).json()
    assert len(page["items"]) == 1 and [item["id"] for item in rest["items"]] == [observed["id"]]
    window = {"from": "2000-01-01T00:00:00Z", "to": "2000-01-02T00:00:00Z"}
    assert (await client.get("/v1/reviews", params=window, headers=READER)).json()["items"] == []

    no_context = review_body(card["scorecard_id"], ticket_id=None, method="on_site")
    response = await client.post("/v1/reviews", json=no_context, headers=WRITER)
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["context"]
    response = await client.post("/v1/reviews", json=review_body(card["scorecard_id"], ticket_id=None), headers=WRITER)
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["ticket_id"]


BAD_ANSWERS = [
    ({**FULL_MARKS, "greeting": 2}, {}, ["answers.greeting"]),
    ({**FULL_MARKS, "accuracy": 0}, {}, ["answers.accuracy"]),
    ({**FULL_MARKS, "accuracy": 3.5}, {}, ["answers.accuracy"]),
    ({**FULL_MARKS, "upsell": 10.5}, {}, ["answers.upsell"]),
    ({**FULL_MARKS, "verify_identity": "na"}, {}, ["answers.verify_identity"]),
    ({k: v for k, v in FULL_MARKS.items() if k != "empathy"}, {}, ["answers.empathy"]),
    ({**FULL_MARKS, "smile": 1}, {}, ["answers.smile"]),
    ({**FULL_MARKS, "accuracy": 2}, {"root_causes": {"accuracy": ["不存在的原因"]}}, ["root_causes.accuracy[0]"]),
    (FULL_MARKS, {"root_causes": {"accuracy": ["培训不足"]}}, ["root_causes.accuracy"]),
    (FULL_MARKS, {"comments": {"nope": "x"}}, ["comments.nope"]),
    (FULL_MARKS, {"method": "calibration"}, ["method"]),
]


async def test_bad_answers_are_422_naming_the_category(client):
    card = await published(client)
    for answers, extra, fields in BAD_ANSWERS:
        response = await client.post("/v1/reviews", json=review_body(card["scorecard_id"], answers, **extra), headers=WRITER)
        assert response.status_code == 422 and response.headers["content-type"] == PROBLEM, (answers, extra)
        assert [e["field"] for e in response.json()["errors"]] == fields
    assert await completed_events(client.app.state.sessions) == []


async def test_a_review_uses_a_published_version(client):
    response = await client.post("/v1/scorecards", json=definition(), headers=WRITER)
    draft = response.json()
    refused = await client.post("/v1/reviews", json=review_body(draft["id"]), headers=WRITER)
    assert refused.status_code == 404 and refused.headers["content-type"] == PROBLEM
    card = await published(client)
    changed = definition()
    changed["sections"][0]["categories"][0]["weight"] = 9
    await client.put(f"/v1/scorecards/{card['scorecard_id']}", json=changed, headers=WRITER)
    # The draft version 2 is not used: the review scores against version 1 as frozen.
    review = await submit(client, review_body(card["scorecard_id"]))
    assert review["scorecard_version"] == 1 and review["categories"][0]["weight"] == 1
    assert (await client.get("/v1/reviews/nope", headers=READER)).status_code == 404


async def test_numbers_that_cannot_be_stored_are_422(client):
    card = await published(client)
    raw = '{"scorecard_id": "%s", "ticket_id": "T-1", "agent_id": "A-7", "reviewer_id": "QA-1", "answers": {"greeting": NaN}}' % card["scorecard_id"]
    response = await client.post("/v1/reviews", content=raw, headers={**WRITER, "content-type": "application/json"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"].startswith("answers.greeting")
    body = definition()
    body["sections"][1]["categories"][2]["scale"] = {"min": 0, "max": float("inf")}
    raw = __import__("json").dumps(body)  # allow_nan: writes Infinity
    response = await client.post("/v1/scorecards", content=raw, headers={**WRITER, "content-type": "application/json"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"].startswith("sections[1].categories[2].scale")
