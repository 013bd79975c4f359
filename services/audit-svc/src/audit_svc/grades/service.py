"""Reviews of reviews: a grader answers a ``review_of_review`` scorecard about one review and
corrects the answers they disagree with; the review is then compared with that benchmark exactly
as a calibration review is (calibration/alignment.py). Nothing here commits."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from csq_common.errors import InvalidInput
from csq_common.pagination import newest_first
from audit_svc.calibration.alignment import CategoryAnswer, compared_categories, review_alignment
from audit_svc.grades.errors import NotGradable
from audit_svc.grades.models import ReviewGrade
from audit_svc.grades.schemas import GradeCreate
from audit_svc.reviews.answers import NA, categories_of, score_answers
from audit_svc.reviews.service import answers_of, review_row
from audit_svc.scorecards.definitions import answer_error
from audit_svc.scorecards.service import REVIEW_OF_REVIEW, get_version, published_version


def _correction_errors(corrections: dict[str, Any], definition: dict[str, Any]) -> list[dict[str, str]]:
    categories = categories_of(definition)
    errors = []
    for key, answer in corrections.items():
        if key not in categories:
            errors.append({"field": f"corrections.{key}", "message": "is not a category of the graded review"})
        elif answer == NA:
            if not categories[key][1].get("allow_na"):
                errors.append({"field": f"corrections.{key}", "message": "N/A is not allowed for this category"})
        elif problem := answer_error(answer, categories[key][1]["scale"]):
            errors.append({"field": f"corrections.{key}", "message": problem})
    return errors


async def grade_review(session: AsyncSession, review_id: str, body: GradeCreate, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    review = await review_row(session, review_id)
    if review.calibration_id is not None:
        raise NotGradable(f"review {review_id!r} is a calibration review: its session's benchmark grades it")
    errors = []
    if body.grader_id == review.reviewer_id:
        errors.append({"field": "grader_id", "message": "is the review's own reviewer: nobody grades their own review"})
    if body.started_at is not None and body.started_at > now:
        errors.append({"field": "started_at", "message": "must not be in the future"})
    reviewed = (await get_version(session, review.scorecard_id, review.scorecard_version)).definition
    errors += _correction_errors(body.corrections, reviewed)
    if errors:
        raise InvalidInput(errors=errors)
    rubric = await published_version(session, body.scorecard_id, body.scorecard_version, use=REVIEW_OF_REVIEW)
    grade = score_answers(rubric.definition, body.answers, body.root_causes, body.comments)

    rows = (await answers_of(session, [review.id]))[review.id]
    given = {row.category_key: NA if row.answer is None else row.answer for row in rows}
    benchmark = score_answers(reviewed, {**given, **body.corrections})
    mine = {row.category_key: CategoryAnswer(score=row.score, weight=row.weight, critical=row.critical) for row in rows}
    theirs = {c.key: CategoryAnswer(score=c.score, weight=c.weight, critical=c.critical) for c in benchmark.categories}
    compared = [
        {"key": key, "score": mine[key].score, "benchmark_score": theirs[key].score, "weight": theirs[key].weight,
         "critical": theirs[key].critical, "alignment": alignment}
        for key, alignment in compared_categories(mine, theirs).items()
    ]
    row = ReviewGrade(
        id=str(uuid.uuid4()), review_id=review.id, review_version=review.version, reviewer_id=review.reviewer_id,
        grader_id=body.grader_id, scorecard_id=body.scorecard_id, scorecard_version=rubric.version, score=grade.score,
        failed_critical=grade.failed_critical, answers=[asdict(category) for category in grade.categories],
        corrections=dict(body.corrections), compared=compared, review_score=review.score, benchmark_score=benchmark.score,
        alignment=review_alignment(mine, theirs), started_at=body.started_at, created_at=now,
    )
    session.add(row)
    await session.flush()
    return grade_view(row)


def grade_view(grade: ReviewGrade) -> dict[str, Any]:
    fields = {column.key: getattr(grade, column.key) for column in ReviewGrade.__table__.columns}
    categories = [
        {**{name: a[name] for name in ("key", "section_key", "score", "weight", "critical", "bonus", "root_causes", "comment")},
         "answer": "na" if a["answer"] is None else a["answer"]}
        for a in sorted(grade.answers, key=lambda a: a["position"])
    ]
    return {**fields, "categories": categories}


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


async def list_grades(
    session: AsyncSession, *, limit: int, cursor: str | None = None, review_id: str | None = None, reviewer_id: str | None = None,
    grader_id: str | None = None, graded_from: datetime | None = None, graded_to: datetime | None = None,
) -> Page:
    """Grades newest first, filtered; ``graded_to`` is exclusive."""
    statement = select(ReviewGrade)
    for column, value in ((ReviewGrade.review_id, review_id), (ReviewGrade.reviewer_id, reviewer_id), (ReviewGrade.grader_id, grader_id)):
        if value is not None:
            statement = statement.where(column == value)
    if graded_from is not None:
        statement = statement.where(ReviewGrade.created_at >= graded_from)
    if graded_to is not None:
        statement = statement.where(ReviewGrade.created_at < graded_to)
    items, next_cursor = await newest_first(session, statement, ReviewGrade, limit=limit, cursor=cursor)
    return Page(items=[grade_view(item) for item in items], next_cursor=next_cursor)
