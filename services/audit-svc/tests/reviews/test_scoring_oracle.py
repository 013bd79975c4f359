"""Review scores over a few hundred generated reviews (critical, N/A, bonus, points scales and
all-N/A cases), submitted through the service on both backends and compared with an independent
computation in exact fractions (tests/reviews/oracle.py), stored value and event alike."""

import random

import pytest

from audit_svc.reviews import service as reviews
from audit_svc.reviews.schemas import ReviewCreate
from audit_svc.scorecards import service as scorecards
from audit_svc.scorecards.schemas import ScorecardDefinition
from tests.reviews import oracle
from tests.reviews.factories import TOPIC, completed_events

SCORECARDS = 24
REVIEWS_PER_SCORECARD = 13


def close(actual, wanted) -> bool:
    return actual is None and wanted is None or (actual is not None and wanted is not None and actual == pytest.approx(float(wanted), abs=1e-9))


async def test_generated_reviews_score_as_the_design_says(sessions):
    rng = random.Random(20261206)
    submitted = []  # (definition, answers, review read)
    for index in range(SCORECARDS):
        definition = oracle.random_definition(rng, all_na_allowed=index % 6 == 0)
        async with sessions() as session:
            card = await scorecards.create_scorecard(session, ScorecardDefinition.model_validate(definition), author="test")
            await scorecards.publish_scorecard(session, card["id"], author="test")
            for number in range(REVIEWS_PER_SCORECARD):
                answers = oracle.random_answers(rng, definition, all_na=index % 6 == 0 and number < 3)
                body = ReviewCreate(scorecard_id=card["id"], ticket_id=f"T-{index}-{number}", agent_id=f"A-{number % 5}", team_id="售后一组", channel="chat", reviewer_id="QA-1", answers=answers)
                submitted.append((definition, answers, await reviews.create_review(session, body, topic=TOPIC)))
            await session.commit()

    kinds = {"failed_critical": 0, "null": 0, "over_100": 0, "with_na": 0}
    async with sessions() as session:
        for definition, answers, created in submitted:
            score, failed, category_scores = oracle.expected(definition, answers)
            stored = await reviews.get_review(session, created["id"])
            for read in (created, stored):
                assert close(read["score"], score), (definition, answers, read["score"], score)
                assert read["failed_critical"] is failed
                assert [c["key"] for c in read["categories"]] == list(category_scores)
                for category in read["categories"]:
                    assert close(category["score"], category_scores[category["key"]])
            kinds["failed_critical"] += failed
            kinds["null"] += score is None
            kinds["over_100"] += score is not None and score > 100
            kinds["with_na"] += "na" in answers.values()
    # The generator reached every case the design names.
    assert all(count >= 3 for count in kinds.values()), kinds

    events = {event.data["review_id"]: (topic, key, event) for topic, key, event in await completed_events(sessions)}
    assert len(events) == len(submitted)
    for definition, answers, created in submitted:
        topic, key, event = events[created["id"]]
        score, failed, category_scores = oracle.expected(definition, answers)
        assert (topic, key, event.data["version"]) == (TOPIC, created["id"], 1)
        assert close(event.data["score"], score) and event.data["failed_critical"] is failed
        assert {c["category_id"]: c["score"] for c in event.data["categories"]}.keys() == category_scores.keys()
        assert all(close(c["score"], category_scores[c["category_id"]]) for c in event.data["categories"])
