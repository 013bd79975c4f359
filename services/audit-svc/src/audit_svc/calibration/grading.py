"""Grading the grader: per reviewer, how well their reviews agree with a benchmark over time
(calibration sessions and reviews of reviews alike), how strict or lenient they score against
it, overall and per category, and how long their reviews take."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from audit_svc.calibration.models import CalibrationSession
from audit_svc.calibration.results import compare_session
from audit_svc.calibration.service import session_reviews
from audit_svc.grades.models import ReviewGrade
from audit_svc.reviews.models import Review
from audit_svc.sampling.periods import period_containing

#: The series' period names → the frequency names of sampling/periods.py.
PERIODS = {"week": "weekly", "month": "monthly"}


@dataclass(frozen=True)
class Comparison:
    """One review of a reviewer set against a benchmark: a calibration review (at its session's
    deadline) or a graded review (when graded)."""

    at: datetime
    source: str  # calibration | grade
    alignment: float | None
    difference: float | None  # review score − benchmark score
    categories: dict[str, tuple[float, float]]  # key → (alignment, score − benchmark score)


def _mean(values: list[float]) -> float | None:
    return fmean(values) if values else None


def _difference(score: float | None, benchmark: float | None) -> float | None:
    return score - benchmark if score is not None and benchmark is not None else None


def _summary(items: list[Comparison]) -> dict[str, Any]:
    return {
        "calibrated": sum(1 for item in items if item.source == "calibration"),
        "graded": sum(1 for item in items if item.source == "grade"),
        "alignment": _mean([item.alignment for item in items if item.alignment is not None]),
        "mean_difference": _mean([item.difference for item in items if item.difference is not None]),
    }


def _categories(items: list[Comparison]) -> list[dict[str, Any]]:
    values: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for item in items:
        for key, pair in item.categories.items():
            values[key].append(pair)
    return [
        {"key": key, "compared": len(pairs), "alignment": fmean(a for a, _ in pairs), "mean_difference": fmean(d for _, d in pairs)}
        for key, pairs in sorted(values.items())
    ]


def _series(items: list[Comparison], *, period: str, timezone: str) -> list[dict[str, Any]]:
    zone = ZoneInfo(timezone)
    buckets: dict[Any, list[Comparison]] = defaultdict(list)
    for item in items:
        buckets[period_containing(PERIODS[period], timezone, item.at.astimezone(zone).date())].append(item)
    return [
        {"period": bucket.first_day, "start": bucket.start, "end": bucket.end, **_summary(found)}
        for bucket, found in sorted(buckets.items(), key=lambda pair: pair[0].start)
    ]


async def _calibration_comparisons(session: AsyncSession, *, since, until, now) -> tuple[dict, dict]:
    """Per reviewer: the sessions over at ``now`` whose deadline is in the window (in deadline
    order), and their reviews' comparisons with the benchmark."""
    statement = select(CalibrationSession).order_by(CalibrationSession.deadline, CalibrationSession.id)
    if since is not None:
        statement = statement.where(CalibrationSession.deadline >= since)
    if until is not None:
        statement = statement.where(CalibrationSession.deadline < until)
    sessions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    comparisons: dict[str, list[Comparison]] = defaultdict(list)
    for calibration in (await session.execute(statement)).scalars():
        if calibration.is_open(now):
            continue
        outcome = compare_session(calibration, await session_reviews(session, calibration.id))
        for reviewer in outcome["reviewers"]:
            sessions[reviewer["reviewer_id"]].append({
                "calibration_id": calibration.id, "title": calibration.title, "deadline": calibration.deadline, **reviewer,
            })
        for item in outcome["reviews"]:
            comparisons[item["reviewer_id"]].append(Comparison(
                at=calibration.deadline, source="calibration", alignment=item["alignment"],
                difference=_difference(item["score"], item["benchmark_score"]), categories=item["categories"],
            ))
    return sessions, comparisons


async def grade_reviewers(
    session: AsyncSession, *, since: datetime | None = None, until: datetime | None = None, reviewer_id: str | None = None,
    period: str = "week", timezone: str = "UTC", now: datetime | None = None,
) -> dict[str, Any]:
    """Over the window [``since``, ``until``): calibration sessions by deadline (those still open
    left out), reviews of reviews by when they were graded, reviews by when they were submitted
    (review time = reviewed_at − started_at, where the reviewer sent ``started_at``). The series
    buckets the comparisons by ``period`` (week from Monday, or month) in ``timezone``."""
    now = now or utcnow()
    sessions, comparisons = await _calibration_comparisons(session, since=since, until=until, now=now)

    graded = select(ReviewGrade).order_by(ReviewGrade.created_at, ReviewGrade.id)
    timed = select(Review.reviewer_id, Review.started_at, Review.reviewed_at).where(Review.started_at.is_not(None))
    if since is not None:
        graded, timed = graded.where(ReviewGrade.created_at >= since), timed.where(Review.reviewed_at >= since)
    if until is not None:
        graded, timed = graded.where(ReviewGrade.created_at < until), timed.where(Review.reviewed_at < until)
    grade_scores: dict[str, list[float]] = defaultdict(list)
    for grade in (await session.execute(graded)).scalars():
        comparisons[grade.reviewer_id].append(Comparison(
            at=grade.created_at, source="grade", alignment=grade.alignment,
            difference=_difference(grade.review_score, grade.benchmark_score),
            categories={c["key"]: (c["alignment"], c["score"] - c["benchmark_score"]) for c in grade.compared},
        ))
        if grade.score is not None:
            grade_scores[grade.reviewer_id].append(grade.score)
    durations: dict[str, list[float]] = defaultdict(list)
    for reviewer, started_at, reviewed_at in (await session.execute(timed)).all():
        durations[reviewer].append((reviewed_at - started_at).total_seconds())

    reviewers = sorted(set(sessions) | set(comparisons) | set(durations))
    if reviewer_id is not None:
        reviewers = [r for r in reviewers if r == reviewer_id]
    report = []
    for reviewer in reviewers:
        items = sorted(comparisons[reviewer], key=lambda item: item.at)
        summary = _summary(items)
        report.append({
            "reviewer_id": reviewer,
            "calibrated_reviews": summary["calibrated"],
            "graded_reviews": summary["graded"],
            "alignment": summary["alignment"],
            "mean_difference": summary["mean_difference"],
            "mean_grade_score": _mean(grade_scores[reviewer]),
            "categories": _categories(items),
            "series": _series(items, period=period, timezone=timezone),
            "timed_reviews": len(durations[reviewer]),
            "mean_review_seconds": _mean(durations[reviewer]),
            "sessions": sessions[reviewer],
        })
    return {"period": period, "timezone": timezone, "reviewers": report}
