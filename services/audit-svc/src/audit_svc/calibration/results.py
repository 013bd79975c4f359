"""A calibration session's results: each participant review against the ticket's benchmark, per
reviewer (alignment and strictness) and per category. Readable once the blind phase is over."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from statistics import fmean
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from audit_svc.calibration.alignment import CategoryAnswer, compared_categories, review_alignment
from audit_svc.calibration.errors import CalibrationOpen
from audit_svc.calibration.models import CalibrationSession
from audit_svc.calibration.service import BENCHMARK, calibration_row, session_reviews
from audit_svc.reviews.models import Review, ReviewAnswer


def _mean(values: list[float]) -> float | None:
    return fmean(values) if values else None


def by_category(rows: list[ReviewAnswer]) -> dict[str, CategoryAnswer]:
    return {row.category_key: CategoryAnswer(score=row.score, weight=row.weight, critical=row.critical) for row in rows}


def compare_session(calibration: CalibrationSession, reviews: list[tuple[Review, list[ReviewAnswer]]]) -> dict[str, Any]:
    """The results of one closed session from its reviews (participants' and benchmarks')."""
    benchmarks = {review.ticket_id: (review, by_category(rows)) for review, rows in reviews if review.calibration_role == BENCHMARK}
    compared: list[dict[str, Any]] = []
    category_values: dict[str, list[float]] = defaultdict(list)
    reviewer_category_values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for review, rows in reviews:
        if review.calibration_role == BENCHMARK or review.ticket_id not in benchmarks:
            continue
        benchmark_review, benchmark = benchmarks[review.ticket_id]
        mine = by_category(rows)
        per_category = compared_categories(mine, benchmark)
        for key, value in per_category.items():
            category_values[key].append(value)
            reviewer_category_values[(review.reviewer_id, key)].append(value)
        compared.append({
            "review_id": review.id, "reviewer_id": review.reviewer_id, "ticket_id": review.ticket_id, "score": review.score,
            "benchmark_score": benchmark_review.score, "alignment": review_alignment(mine, benchmark),
            # key → (alignment, score − benchmark score): what grading the grader aggregates.
            "categories": {key: (value, mine[key].score - benchmark[key].score) for key, value in per_category.items()},
        })
    reviewers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in compared:
        reviewers[item["reviewer_id"]].append(item)
    order = {key: index for index, key in enumerate(row.category_key for _, rows in reviews for row in sorted(rows, key=lambda r: r.position))}
    return {
        "calibration_id": calibration.id,
        "missing_benchmarks": [t["ticket_id"] for t in calibration.tickets if t["ticket_id"] not in benchmarks],
        "reviews": compared,
        "reviewers": [
            {
                "reviewer_id": reviewer,
                "reviews": len(items),
                "alignment": _mean([i["alignment"] for i in items if i["alignment"] is not None]),
                "mean_difference": _mean([i["score"] - i["benchmark_score"] for i in items if i["score"] is not None and i["benchmark_score"] is not None]),
            }
            for reviewer, items in sorted(reviewers.items())
        ],
        "categories": [
            {"key": key, "answered": len(values), "alignment": _mean(values)}
            for key, values in sorted(category_values.items(), key=lambda item: order.get(item[0], 0))
        ],
        "reviewer_categories": [
            {"reviewer_id": reviewer, "key": key, "answered": len(values), "alignment": _mean(values)}
            for (reviewer, key), values in sorted(reviewer_category_values.items(), key=lambda item: (item[0][0], order.get(item[0][1], 0)))
        ],
    }


async def calibration_results(session: AsyncSession, calibration_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    calibration = await calibration_row(session, calibration_id)
    if calibration.is_open(now or utcnow()):
        raise CalibrationOpen(calibration.id, "results are shown after the deadline (or once the session is closed)")
    return compare_session(calibration, await session_reviews(session, calibration.id))
