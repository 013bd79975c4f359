"""Grading the grader: per reviewer, their calibration alignment over time, how strict or lenient
they score against the benchmark, and how long their reviews take."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from audit_svc.calibration.models import CalibrationSession
from audit_svc.calibration.results import compare_session
from audit_svc.calibration.service import session_reviews
from audit_svc.reviews.models import Review


def _mean(values: list[float]) -> float | None:
    return fmean(values) if values else None


async def grade_reviewers(
    session: AsyncSession, *, since: datetime | None = None, until: datetime | None = None, reviewer_id: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Calibration sessions whose deadline falls in [``since``, ``until``) and are over, in
    deadline order (the alignment series), and reviews submitted in the same window (review
    time = reviewed_at − started_at, where the reviewer sent ``started_at``)."""
    now = now or utcnow()
    statement = select(CalibrationSession).order_by(CalibrationSession.deadline, CalibrationSession.id)
    if since is not None:
        statement = statement.where(CalibrationSession.deadline >= since)
    if until is not None:
        statement = statement.where(CalibrationSession.deadline < until)
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    compared: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for calibration in (await session.execute(statement)).scalars():
        if calibration.is_open(now):
            continue
        outcome = compare_session(calibration, await session_reviews(session, calibration.id))
        for reviewer in outcome["reviewers"]:
            series[reviewer["reviewer_id"]].append({
                "calibration_id": calibration.id, "title": calibration.title, "deadline": calibration.deadline, **reviewer,
            })
        for item in outcome["reviews"]:
            compared[item["reviewer_id"]].append(item)

    timed = select(Review.reviewer_id, Review.started_at, Review.reviewed_at).where(Review.started_at.is_not(None))
    if since is not None:
        timed = timed.where(Review.reviewed_at >= since)
    if until is not None:
        timed = timed.where(Review.reviewed_at < until)
    durations: dict[str, list[float]] = defaultdict(list)
    for reviewer, started_at, reviewed_at in (await session.execute(timed)).all():
        durations[reviewer].append((reviewed_at - started_at).total_seconds())

    reviewers = sorted(set(series) | set(durations))
    if reviewer_id is not None:
        reviewers = [r for r in reviewers if r == reviewer_id]
    return {
        "reviewers": [
            {
                "reviewer_id": reviewer,
                "calibrated_reviews": len(compared[reviewer]),
                "alignment": _mean([i["alignment"] for i in compared[reviewer] if i["alignment"] is not None]),
                "mean_difference": _mean([
                    i["score"] - i["benchmark_score"] for i in compared[reviewer] if i["score"] is not None and i["benchmark_score"] is not None
                ]),
                "timed_reviews": len(durations[reviewer]),
                "mean_review_seconds": _mean(durations[reviewer]),
                "sessions": series[reviewer],
            }
            for reviewer in reviewers
        ]
    }
