"""Calibration alignment over a few hundred generated reviews (random scorecards with critical,
N/A, bonus and points scales), submitted through the service on both backends and compared with
the independent computation in tests/reviews/oracle.py: per review, per reviewer, per category."""

import random
from datetime import timedelta
from fractions import Fraction
from statistics import fmean

import pytest

from csq_common.db import utcnow
from audit_svc.calibration import results, service
from audit_svc.calibration.schemas import CalibrationCreate, CalibrationReviewCreate
from audit_svc.scorecards import service as scorecards
from audit_svc.scorecards.schemas import ScorecardDefinition
from tests.reviews import oracle
from tests.reviews.factories import TOPIC

SESSIONS, TICKETS, PARTICIPANTS = 8, 6, 4


def near(actual, wanted) -> bool:
    return actual is None and wanted is None or (actual is not None and wanted is not None and actual == pytest.approx(float(wanted), abs=1e-9))


def mean(values):
    return fmean(float(value) for value in values) if values else None


async def test_generated_calibrations_align_as_the_design_says(sessions):
    rng = random.Random(6122026)
    now = utcnow()
    participants = [f"QA-{n}" for n in range(PARTICIPANTS)]
    compared = 0
    for number in range(SESSIONS):
        definition = oracle.random_definition(rng)
        answers: dict[tuple[str, str], dict] = {}
        async with sessions() as session:
            card = await scorecards.create_scorecard(session, ScorecardDefinition.model_validate(definition), author="t")
            await scorecards.publish_scorecard(session, card["id"], author="t")
            tickets = [{"ticket_id": f"T-{number}-{t}", "agent_id": f"A-{t}"} for t in range(TICKETS)]
            calibration = await service.create_calibration(session, CalibrationCreate(
                title=f"第{number + 1}期校准", scorecard_id=card["id"], tickets=tickets, participants=participants,
                benchmark="expert", expert_id="质检专家", deadline=now + timedelta(hours=1),
            ), author="t", now=now)
            for ticket in tickets:
                benchmark = oracle.random_answers(rng, definition)
                answers[("质检专家", ticket["ticket_id"])] = benchmark
                for reviewer in ["质检专家", *participants]:
                    if reviewer == "质检专家" or rng.random() < 0.15:  # the expert, or a reviewer in full agreement
                        given = benchmark
                    else:
                        given = oracle.random_answers(rng, definition)
                    answers[(reviewer, ticket["ticket_id"])] = given
                    body = CalibrationReviewCreate(reviewer_id=reviewer, ticket_id=ticket["ticket_id"], answers=given)
                    review = await service.submit_calibration_review(session, calibration.id, body, topic=TOPIC, now=now)
                    assert review["counts_for_agent"] is False and review["method"] == "calibration"
            await session.commit()

        async with sessions() as session:
            got = await results.calibration_results(session, calibration.id, now=now + timedelta(hours=2))
        assert got["missing_benchmarks"] == []
        expected_reviews = {}
        per_category: dict[str, list[Fraction]] = {}
        for item in got["reviews"]:
            mine = answers[(item["reviewer_id"], item["ticket_id"])]
            theirs = answers[("质检专家", item["ticket_id"])]
            wanted = oracle.alignment(definition, mine, theirs)
            assert near(item["alignment"], wanted), (definition, mine, theirs)
            expected_reviews[(item["reviewer_id"], item["ticket_id"])] = wanted
            for category in oracle.categories(definition):
                single = {**{c["key"]: "na" for c in oracle.categories(definition)}, category["key"]: mine[category["key"]]}
                value = oracle.alignment(definition, single, theirs)
                if value is not None:
                    per_category.setdefault(category["key"], []).append(value)
            compared += 1
        assert len(got["reviews"]) == TICKETS * PARTICIPANTS
        for reviewer in got["reviewers"]:
            values = [v for (r, _), v in expected_reviews.items() if r == reviewer["reviewer_id"] and v is not None]
            assert near(reviewer["alignment"], mean(values))
        assert {c["key"]: c["answered"] for c in got["categories"]} == {k: len(v) for k, v in per_category.items()}
        for category in got["categories"]:
            assert near(category["alignment"], mean(per_category[category["key"]]))
    assert compared == SESSIONS * TICKETS * PARTICIPANTS


def test_a_critical_category_across_50_counts_0():
    definition = {"sections": [{"key": "s", "categories": [
        {"key": "safe", "weight": 1, "scale": "5", "critical": True},
        {"key": "tone", "weight": 3, "scale": {"min": 0, "max": 10}},
    ]}]}
    # safe: 50 vs 25 (critical, across 50) → 0; tone: 60 vs 80 → 0.8; (0×1 + 0.8×3) / 4.
    assert oracle.alignment(definition, {"safe": 3, "tone": 6}, {"safe": 2, "tone": 8}) == Fraction(6, 10)
    from audit_svc.calibration.alignment import CategoryAnswer, review_alignment

    mine = {"safe": CategoryAnswer(50, 1, True), "tone": CategoryAnswer(60, 3, False)}
    benchmark = {"safe": CategoryAnswer(25, 1, True), "tone": CategoryAnswer(80, 3, False)}
    assert review_alignment(mine, benchmark) == pytest.approx(0.6)
    assert review_alignment({"safe": CategoryAnswer(None, 1, True)}, benchmark) is None
