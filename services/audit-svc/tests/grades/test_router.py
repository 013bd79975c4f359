"""Reviews of reviews through HTTP on both backends: the grade and the benchmark it sets, checked
against the independent oracle, and the rules (own review, calibration review, a scorecard of the
wrong use, corrections off the scale)."""

import pytest

from tests.calibration.test_router import create_session, score, session_body
from tests.grades.factories import RUBRIC_FULL_MARKS, rubric
from tests.reviews import oracle
from tests.reviews.factories import FULL_MARKS, review_body, submit
from tests.scorecards.factories import PROBLEM, READER, WRITER, definition, published

GRADER = "QA-组长-陈静"


async def grade(client, review_id: str, body: dict, status: int = 201) -> dict:
    response = await client.post(f"/v1/reviews/{review_id}/grades", json=body, headers=WRITER)
    assert response.status_code == status, response.text
    return response.json()


async def test_a_grade_compares_the_review_with_the_graders_corrections(client):
    card, ror = await published(client), await published(client, rubric())
    assert ror["use"] == "review_of_review" and card["use"] == "conversation"
    given = {**FULL_MARKS, "greeting": 0, "accuracy": 2, "empathy": "na"}
    review = await submit(client, review_body(card["scorecard_id"], given, reviewer_id="QA-甲"))
    corrections = {"greeting": 1, "accuracy": 4, "upsell": "na"}
    answers = {**RUBRIC_FULL_MARKS, "scores_correct": 2, "coaching_comments": 2}
    graded = await grade(client, review["id"], {
        "grader_id": GRADER, "scorecard_id": ror["scorecard_id"], "answers": answers, "corrections": corrections,
        "comments": {"scores_correct": "问候语其实报了工号，准确性扣分过重"},
    })

    conversation = definition()
    wanted_score, _, _ = oracle.expected(rubric(), answers)
    benchmark = {**given, **corrections}
    assert graded["score"] == pytest.approx(float(wanted_score))
    assert (graded["reviewer_id"], graded["grader_id"], graded["review_version"]) == ("QA-甲", GRADER, 1)
    assert graded["review_score"] == pytest.approx(float(oracle.expected(conversation, given)[0]))
    assert graded["benchmark_score"] == pytest.approx(float(oracle.expected(conversation, benchmark)[0]))
    assert graded["alignment"] == pytest.approx(float(oracle.alignment(conversation, given, benchmark)))
    # Compared: the categories both answered (empathy N/A in the review, upsell N/A in the benchmark).
    assert sorted(c["key"] for c in graded["compared"]) == ["accuracy", "greeting", "verify_identity"]
    by_key = {c["key"]: c for c in graded["compared"]}
    assert (by_key["accuracy"]["score"], by_key["accuracy"]["benchmark_score"]) == (25, 75)
    assert graded["categories"][0]["comment"] == "问候语其实报了工号，准确性扣分过重"

    listed = (await client.get("/v1/grades", params={"reviewer_id": "QA-甲"}, headers=READER)).json()["items"]
    assert [item["id"] for item in listed] == [graded["id"]]
    assert (await client.get("/v1/grades", params={"grader_id": "nobody"}, headers=READER)).json()["items"] == []


async def test_grading_rules_name_the_field(client):
    card, ror = await published(client), await published(client, rubric())
    review = await submit(client, review_body(card["scorecard_id"], reviewer_id="QA-甲"))
    body = {"grader_id": GRADER, "scorecard_id": ror["scorecard_id"], "answers": RUBRIC_FULL_MARKS}

    own = await grade(client, review["id"], {**body, "grader_id": "QA-甲"}, status=422)
    assert own["errors"][0]["field"] == "grader_id"
    off_scale = await grade(client, review["id"], {**body, "corrections": {"accuracy": 9, "verify_identity": "na", "nope": 1}}, status=422)
    assert sorted(e["field"] for e in off_scale["errors"]) == ["corrections.accuracy", "corrections.nope", "corrections.verify_identity"]
    wrong_use = await grade(client, review["id"], {**body, "scorecard_id": card["scorecard_id"], "answers": FULL_MARKS}, status=422)
    assert wrong_use["errors"][0]["field"] == "scorecard_id"
    bad_rubric = await grade(client, review["id"], {**body, "answers": {**RUBRIC_FULL_MARKS, "scores_correct": 6}}, status=422)
    assert bad_rubric["errors"][0]["field"] == "answers.scores_correct"
    assert (await client.post("/v1/reviews/nope/grades", json=body, headers=WRITER)).status_code == 404

    # A review_of_review scorecard reviews no ticket and never applies to one.
    refused = await client.post("/v1/reviews", json=review_body(ror["scorecard_id"], RUBRIC_FULL_MARKS), headers=WRITER)
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM and refused.json()["errors"][0]["field"] == "scorecard_id"
    applicable = (await client.get("/v1/scorecards/applicable", headers=READER)).json()
    assert applicable["scorecard_id"] == card["scorecard_id"]
    # Calibration reviews are graded by their session's benchmark, not here.
    calibration = await create_session(client, session_body(card["scorecard_id"]))
    mine = await score(client, calibration["id"], "QA-甲", "T-1", FULL_MARKS)
    assert (await client.post(f"/v1/reviews/{mine['id']}/grades", json=body, headers=WRITER)).status_code == 409
