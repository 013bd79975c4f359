"""Submitting and reading reviews. A submission scores the answers (reviews/answers.py), stores
the review and its categories, and stages ``audit.completed`` in the same transaction. Nothing
here commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key, utcnow
from csq_common.errors import InvalidInput
from csq_common.pagination import newest_first
from audit_svc.calibration.models import CalibrationSession
from audit_svc.reviews.answers import ScoredReview, score_answers
from audit_svc.reviews.errors import CalibrationStillBlind, ReviewNotFound
from audit_svc.reviews.events import publish_completed
from audit_svc.reviews.models import Review, ReviewAnswer
from audit_svc.reviews.schemas import ReviewAnswers, ReviewCreate
from audit_svc.sampling.assignments import complete_for_review
from audit_svc.scorecards.service import published_version
from audit_svc.tickets.transcripts import transcript

# Methods that observe a contact instead of reviewing a ticket: they may go without one.
OBSERVATIONS = frozenset({"mystery_shopper", "on_site", "external", "third_party"})
CALIBRATION = "calibration"


async def create_review(session: AsyncSession, body: ReviewCreate, *, topic: str, now: datetime | None = None) -> dict[str, Any]:
    """A review submitted through ``POST /v1/reviews`` (calibration reviews go through their session)."""
    errors = []
    if body.method == CALIBRATION:
        errors.append({"field": "method", "message": "calibration reviews are submitted to their session: POST /v1/calibrations/{id}/reviews"})
    if body.ticket_id is None and body.method not in OBSERVATIONS:
        errors.append({"field": "ticket_id", "message": f"a {body.method} review needs a ticket; only {sorted(OBSERVATIONS)} may observe without one"})
    if body.ticket_id is None and body.method in OBSERVATIONS and body.context is None:
        errors.append({"field": "context", "message": "an observation without a ticket needs its context (store, date, observer)"})
    if errors:
        raise InvalidInput(errors=errors)
    return await submit_review(
        session, body, fields=body.model_dump(include={"plan_id", "ticket_id", "agent_id", "team_id", "channel", "method", "reviewer_id", "started_at"}),
        context=body.context.model_dump(mode="json", exclude_none=True) if body.context else None,
        scorecard_id=body.scorecard_id, scorecard_version=body.scorecard_version, topic=topic, now=now,
    )


async def submit_review(
    session: AsyncSession,
    answered: ReviewAnswers,
    *,
    fields: dict[str, Any],
    scorecard_id: str,
    scorecard_version: int | None,
    topic: str,
    context: dict[str, Any] | None = None,
    calibration_id: str | None = None,
    calibration_role: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Score ``answered`` against the published scorecard version, store it, stage version 1 of
    ``audit.completed``. ``fields``: who and what was reviewed (agent, team, channel, method …)."""
    now = now or utcnow()
    version = await published_version(session, scorecard_id, scorecard_version)
    scored = score_answers(version.definition, answered.answers, answered.root_causes, answered.comments)
    started_at = fields.get("started_at")
    if started_at is not None and started_at > now:
        raise InvalidInput("started_at", "must not be in the future (it is when the reviewer started this review)")
    review = Review(
        id=str(uuid.uuid4()), scorecard_id=scorecard_id, scorecard_version=version.version, context=context,
        score=scored.score, failed_critical=scored.failed_critical, counts_for_agent=fields["method"] != CALIBRATION,
        calibration_id=calibration_id, calibration_role=calibration_role, version=1,
        reviewed_at=now, created_at=now, updated_at=now, **fields,
    )
    session.add(review)
    await session.flush()
    rows = answer_rows(review.id, scored)
    session.add_all(rows)
    await session.flush()
    await publish_completed(session, review, rows, topic=topic, now=now)
    if review.plan_id is not None and review.ticket_id is not None and calibration_id is None:
        await complete_for_review(
            session, plan_id=review.plan_id, ticket_id=review.ticket_id, reviewer_id=review.reviewer_id, review_id=review.id, now=now
        )
    return review_view(review, rows)


def answer_rows(review_id: str, scored: ScoredReview) -> list[ReviewAnswer]:
    return [
        ReviewAnswer(
            review_id=review_id, category_key=a.key, position=a.position, section_key=a.section_key, answer=a.answer,
            score=a.score, weight=a.weight, critical=a.critical, bonus=a.bonus, root_causes=a.root_causes, comment=a.comment,
        )
        for a in scored.categories
    ]


def review_view(review: Review, rows: list[ReviewAnswer]) -> dict[str, Any]:
    """The review as ``ReviewRead``: its fields and its categories in scorecard order."""
    categories = [
        {
            "key": row.category_key, "section_key": row.section_key, "answer": "na" if row.answer is None else row.answer,
            "score": row.score, "weight": row.weight, "critical": row.critical, "bonus": row.bonus,
            "root_causes": row.root_causes, "comment": row.comment,
        }
        for row in sorted(rows, key=lambda row: row.position)
    ]
    fields = {column.key: getattr(review, column.key) for column in Review.__table__.columns}
    return {**fields, "categories": categories}


# ---- reads ------------------------------------------------------------------------------


async def review_row(session: AsyncSession, review_id: str, *, lock: bool = False) -> Review:
    review = None
    if could_be_key(review_id, 36):
        statement = select(Review).where(Review.id == review_id)
        review = (await session.execute(statement.with_for_update() if lock else statement)).scalar_one_or_none()
    if review is None:
        raise ReviewNotFound(review_id)
    return review


async def answers_of(session: AsyncSession, review_ids: list[str]) -> dict[str, list[ReviewAnswer]]:
    found: dict[str, list[ReviewAnswer]] = {review_id: [] for review_id in review_ids}
    if review_ids:
        rows = (await session.execute(select(ReviewAnswer).where(ReviewAnswer.review_id.in_(review_ids)))).scalars()
        for row in rows:
            found[row.review_id].append(row)
    return found


async def get_review(session: AsyncSession, review_id: str, *, agent_id: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """A review with its categories and its ticket's transcript; with ``agent_id``, only a review
    of that agent (another one is not found). A calibration review stays blind here while its
    session is open (its session's endpoint decides who may read it)."""
    review = await review_row(session, review_id)
    if agent_id is not None and (review.agent_id != agent_id or review.calibration_id is not None):
        raise ReviewNotFound(review_id)
    if review.calibration_id is not None:
        calibration = await session.get(CalibrationSession, review.calibration_id)
        if calibration is not None and calibration.is_open(now or utcnow()):
            raise CalibrationStillBlind(review.calibration_id)
    view = review_view(review, (await answers_of(session, [review.id]))[review.id])
    return {**view, "transcript": await transcript(session, review.ticket_id)}


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


async def list_reviews(
    session: AsyncSession,
    *,
    limit: int,
    cursor: str | None = None,
    agent_id: str | None = None,
    team_id: str | None = None,
    scorecard_id: str | None = None,
    reviewer_id: str | None = None,
    plan_id: str | None = None,
    method: str | None = None,
    reviewed_from: datetime | None = None,
    reviewed_to: datetime | None = None,
) -> Page:
    """Reviews newest first, filtered; calibration reviews are not listed here (they are read
    through their session, blind until its deadline). ``reviewed_to`` is exclusive."""
    statement = select(Review).where(Review.calibration_id.is_(None))
    for column, value in (
        (Review.agent_id, agent_id), (Review.team_id, team_id), (Review.scorecard_id, scorecard_id),
        (Review.reviewer_id, reviewer_id), (Review.plan_id, plan_id), (Review.method, method),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if reviewed_from is not None:
        statement = statement.where(Review.reviewed_at >= reviewed_from)
    if reviewed_to is not None:
        statement = statement.where(Review.reviewed_at < reviewed_to)
    reviews, next_cursor = await newest_first(session, statement, Review, limit=limit, cursor=cursor)
    answers = await answers_of(session, [review.id for review in reviews])
    return Page(items=[review_view(review, answers[review.id]) for review in reviews], next_cursor=next_cursor)
