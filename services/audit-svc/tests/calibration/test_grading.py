"""Grading the grader with time set by the test: the alignment series over two sessions, the
signed difference to the benchmark (strict below 0, lenient above) and the mean review time."""

from datetime import timedelta

import pytest

from csq_common.db import utcnow
from audit_svc.calibration import grading, service
from audit_svc.calibration.schemas import CalibrationCreate, CalibrationReviewCreate
from audit_svc.reviews import service as reviews
from audit_svc.reviews.schemas import ReviewCreate
from audit_svc.scorecards import service as scorecards
from audit_svc.scorecards.schemas import ScorecardDefinition
from tests.reviews.factories import FULL_MARKS, TOPIC, review_body
from tests.scorecards.factories import definition

EXPERT = "专家-周"


async def test_alignment_over_time_strictness_and_review_time(sessions):
    t0 = utcnow() - timedelta(days=30)
    async with sessions() as session:
        card = await scorecards.create_scorecard(session, ScorecardDefinition.model_validate(definition()), author="t")
        await scorecards.publish_scorecard(session, card["id"], author="t")
        calibrations = []
        # Week 1: QA-甲 marks accuracy down (strict); week 2: QA-甲 agrees with the expert.
        for week, answers in enumerate(({**FULL_MARKS, "accuracy": 3}, FULL_MARKS)):
            opened = t0 + timedelta(days=7 * week)
            calibration = await service.create_calibration(session, CalibrationCreate(
                title=f"第{week + 1}周", scorecard_id=card["id"], tickets=[{"ticket_id": f"T-{week}", "agent_id": "A-7"}],
                participants=["QA-甲"], benchmark="expert", expert_id=EXPERT, deadline=opened + timedelta(days=1),
            ), author="t", now=opened)
            for reviewer, given in ((EXPERT, FULL_MARKS), ("QA-甲", answers)):
                body = CalibrationReviewCreate(reviewer_id=reviewer, ticket_id=f"T-{week}", answers=given, started_at=opened - timedelta(minutes=10))
                await service.submit_calibration_review(session, calibration.id, body, topic=TOPIC, now=opened)
            calibrations.append(calibration)
        # An ordinary review with a start time: 6 minutes.
        ordinary = ReviewCreate.model_validate(review_body(card["id"], reviewer_id="QA-甲", started_at=(t0 + timedelta(days=20)).isoformat()))
        await reviews.create_review(session, ordinary, topic=TOPIC, now=t0 + timedelta(days=20, minutes=6))
        await session.commit()

    async with sessions() as session:
        graded = await grading.grade_reviewers(session, now=t0 + timedelta(days=25))
        [qa] = [r for r in graded["reviewers"] if r["reviewer_id"] == "QA-甲"]
        # accuracy 50 vs 100 (weight 4 of 11): alignment 1 − 4×0.5/11; the score drops by 20.
        assert [s["calibration_id"] for s in qa["sessions"]] == [c.id for c in calibrations]
        assert [s["alignment"] for s in qa["sessions"]] == [pytest.approx(1 - 2 / 11), pytest.approx(1.0)]
        assert [s["mean_difference"] for s in qa["sessions"]] == [pytest.approx(-20), pytest.approx(0)]
        assert qa["mean_difference"] == pytest.approx(-10) and qa["calibrated_reviews"] == 2
        assert qa["timed_reviews"] == 3 and qa["mean_review_seconds"] == pytest.approx((600 + 600 + 360) / 3)
        # A window holding only week 2 and a session still open are left out.
        later = await grading.grade_reviewers(session, since=t0 + timedelta(days=5), reviewer_id="QA-甲", now=t0 + timedelta(days=25))
        assert [s["title"] for s in later["reviewers"][0]["sessions"]] == ["第2周"]
        early = await grading.grade_reviewers(session, reviewer_id="QA-甲", now=t0 + timedelta(hours=1))
        assert early["reviewers"][0]["sessions"] == [] and early["reviewers"][0]["alignment"] is None
