"""Grading the grader over generated reviews: calibration reviews and reviews of reviews alike set
a reviewer against a benchmark; alignment, strictness (overall and per category) and the weekly
series in Asia/Shanghai are checked against the oracle's exact fractions, computed apart."""

import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from audit_svc.calibration import grading
from audit_svc.calibration import service as calibrations
from audit_svc.calibration.schemas import CalibrationCreate, CalibrationReviewCreate
from audit_svc.grades import service as grades
from audit_svc.grades.schemas import GradeCreate
from audit_svc.reviews import service as reviews
from audit_svc.reviews.schemas import ReviewCreate
from audit_svc.scorecards import service as scorecards
from audit_svc.scorecards.schemas import ScorecardDefinition
from tests.grades.factories import RUBRIC_FULL_MARKS, rubric
from tests.reviews import oracle
from tests.reviews.factories import TOPIC, review_body
from tests.scorecards.factories import definition

ZONE = "Asia/Shanghai"
# A Monday 16:30 UTC: already Tuesday 00:30 in Shanghai. Six days and half an hour later it is
# Monday 01:00 in Shanghai (a new week there) but still Sunday in UTC.
T0 = datetime(2026, 10, 5, 16, 30, tzinfo=timezone.utc)
REVIEWERS = ["QA-甲", "QA-乙"]
EXPERT = "专家-周"


def random_answers(rng: random.Random, conversation: dict) -> dict:
    answers = {}
    for category in oracle.categories(conversation):
        low, high = oracle.bounds(category["scale"])
        if category.get("allow_na") and rng.random() < 0.25:
            answers[category["key"]] = "na"
        else:
            answers[category["key"]] = rng.randint(int(low), int(high))
    return answers


def category_pairs(conversation: dict, mine: dict, theirs: dict) -> dict[str, tuple[Fraction, Fraction]]:
    """key → (alignment, score − benchmark score) over the categories both answered."""
    pairs = {}
    for category in oracle.categories(conversation):
        a, b = oracle.category_score(mine[category["key"]], category["scale"]), oracle.category_score(theirs[category["key"]], category["scale"])
        if a is None or b is None:
            continue
        agreement = 0 if category.get("critical") and (a < 50) != (b < 50) else 1 - abs(a - b) / 100
        pairs[category["key"]] = (Fraction(agreement), a - b)
    return pairs


def local_monday(at: datetime):
    day = at.astimezone(ZoneInfo(ZONE)).date()
    return day - timedelta(days=day.weekday())


def mean(values):
    values = list(values)
    return sum(values, Fraction(0)) / len(values) if values else None


def near(actual, wanted) -> bool:
    return (actual is None) == (wanted is None) and (wanted is None or actual == pytest.approx(float(wanted), abs=1e-9))


async def test_alignment_strictness_and_series_against_the_oracle(sessions):
    rng = random.Random(15)
    conversation = definition()
    expected = defaultdict(list)  # reviewer → [(at, source, alignment, difference, {key: (alignment, diff)})]
    async with sessions() as session:
        card = await scorecards.create_scorecard(session, ScorecardDefinition.model_validate(conversation), author="t")
        await scorecards.publish_scorecard(session, card["id"], author="t")
        ror = await scorecards.create_scorecard(session, ScorecardDefinition.model_validate(rubric()), author="t")
        await scorecards.publish_scorecard(session, ror["id"], author="t")

        # One calibration session in the first Shanghai week: both reviewers against the expert.
        opened = T0 - timedelta(hours=2)
        calibration = await calibrations.create_calibration(session, CalibrationCreate(
            title="十月第一周校准", scorecard_id=card["id"], tickets=[{"ticket_id": "T-C", "agent_id": "A-7"}],
            participants=REVIEWERS, benchmark="expert", expert_id=EXPERT, deadline=T0,
        ), author="t", now=opened)
        benchmark_answers = random_answers(rng, conversation)
        await calibrations.submit_calibration_review(
            session, calibration.id, CalibrationReviewCreate(reviewer_id=EXPERT, ticket_id="T-C", answers=benchmark_answers), topic=TOPIC, now=opened,
        )
        for reviewer in REVIEWERS:
            given = random_answers(rng, conversation)
            await calibrations.submit_calibration_review(
                session, calibration.id, CalibrationReviewCreate(reviewer_id=reviewer, ticket_id="T-C", answers=given), topic=TOPIC, now=opened,
            )
            difference = None
            score, benchmark_score = oracle.expected(conversation, given)[0], oracle.expected(conversation, benchmark_answers)[0]
            if score is not None and benchmark_score is not None:
                difference = score - benchmark_score
            expected[reviewer].append((T0, "calibration", oracle.alignment(conversation, given, benchmark_answers), difference, category_pairs(conversation, given, benchmark_answers)))

        # Reviews graded over three weeks, on both sides of the Shanghai week boundary.
        for n in range(12):
            reviewer = REVIEWERS[n % 2]
            at = T0 + timedelta(days=6, minutes=30) * (n // 4) + timedelta(hours=n % 4)
            given = random_answers(rng, conversation)
            corrections = {key: value for key, value in random_answers(rng, conversation).items() if rng.random() < 0.5}
            body = ReviewCreate.model_validate(review_body(card["id"], given, reviewer_id=reviewer, ticket_id=f"T-{n}"))
            review = await reviews.create_review(session, body, topic=TOPIC, now=at - timedelta(hours=1))
            await grades.grade_review(session, review["id"], GradeCreate(
                grader_id="QA-组长", scorecard_id=ror["id"], answers={**RUBRIC_FULL_MARKS, "scores_correct": 1 + n % 5}, corrections=corrections,
            ), now=at)
            benchmark = {**given, **corrections}
            score, benchmark_score = oracle.expected(conversation, given)[0], oracle.expected(conversation, benchmark)[0]
            difference = score - benchmark_score if score is not None and benchmark_score is not None else None
            expected[reviewer].append((at, "grade", oracle.alignment(conversation, given, benchmark), difference, category_pairs(conversation, given, benchmark)))
        await session.commit()

    async with sessions() as session:
        report = await grading.grade_reviewers(session, period="week", timezone=ZONE, now=T0 + timedelta(days=30))
    got = {r["reviewer_id"]: r for r in report["reviewers"]}
    assert set(got) == set(REVIEWERS)
    for reviewer, items in expected.items():
        mine = got[reviewer]
        assert (mine["calibrated_reviews"], mine["graded_reviews"]) == (1, 6)
        assert near(mine["alignment"], mean(a for _, _, a, _, _ in items if a is not None))
        assert near(mine["mean_difference"], mean(d for _, _, _, d, _ in items if d is not None))
        per_key = defaultdict(list)
        for *_, pairs in items:
            for key, pair in pairs.items():
                per_key[key].append(pair)
        assert [c["key"] for c in mine["categories"]] == sorted(per_key)
        for category in mine["categories"]:
            pairs = per_key[category["key"]]
            assert category["compared"] == len(pairs)
            assert near(category["alignment"], mean(a for a, _ in pairs)) and near(category["mean_difference"], mean(d for _, d in pairs))
        weeks = defaultdict(list)
        for item in items:
            weeks[local_monday(item[0])].append(item)
        assert [s["period"] for s in mine["series"]] == sorted(weeks)
        for point in mine["series"]:
            found = weeks[point["period"]]
            assert (point["calibrated"], point["graded"]) == (sum(i[1] == "calibration" for i in found), sum(i[1] == "grade" for i in found))
            assert near(point["alignment"], mean(i[2] for i in found if i[2] is not None))
            assert near(point["mean_difference"], mean(i[3] for i in found if i[3] is not None))
            assert point["start"] == datetime.combine(point["period"], datetime.min.time(), tzinfo=ZoneInfo(ZONE))
    # The Shanghai weeks differ from the UTC ones here: the week boundary moved grades across.
    async with sessions() as session:
        utc = await grading.grade_reviewers(session, period="week", timezone="UTC", now=T0 + timedelta(days=30))
    shanghai_sizes = [p["graded"] for p in got["QA-甲"]["series"]]
    utc_sizes = [p["graded"] for p in {r["reviewer_id"]: r for r in utc["reviewers"]}["QA-甲"]["series"]]
    assert sum(shanghai_sizes) == sum(utc_sizes) == 6 and shanghai_sizes != utc_sizes
    # By month, all in October (Shanghai): one point.
    async with sessions() as session:
        monthly = await grading.grade_reviewers(session, reviewer_id="QA-乙", period="month", timezone=ZONE, now=T0 + timedelta(days=30))
    [point] = monthly["reviewers"][0]["series"]
    assert (str(point["period"]), point["calibrated"], point["graded"]) == ("2026-10-01", 1, 6)
