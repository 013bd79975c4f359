"""Opening and resolving disputes. A resolution that changes a score re-scores the review and
stages ``audit.completed`` with the review's version + 1 in the same transaction, so consumers
replace the review's earlier numbers. Nothing here commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key, utcnow
from csq_common.errors import InvalidInput
from csq_common.pagination import newest_first
from audit_svc.disputes.errors import (
    DisputeAlreadyOpen, DisputeAlreadyResolved, DisputeNotFound, DisputeWindowClosed, NotDisputable, NotTheAgent, NotTheArbitrator,
)
from audit_svc.disputes.models import Dispute, DisputeItem
from audit_svc.disputes.schemas import DisputeCreate, DisputeResolve
from audit_svc.plans.models import AuditPlan
from audit_svc.reviews.answers import NA, categories_of, score_answers
from audit_svc.reviews.events import publish_completed
from audit_svc.reviews.models import Review, ReviewAnswer
from audit_svc.reviews.service import answers_of, review_row
from audit_svc.scorecards.definitions import answer_error
from audit_svc.scorecards.service import get_version

OPEN = "open"


async def open_dispute(
    session: AsyncSession, review_id: str, body: DisputeCreate, *, window_days: int, now: datetime | None = None
) -> dict[str, Any]:
    """The review's agent disputes some of its categories, within ``window_days`` of submission."""
    now = now or utcnow()
    review = await review_row(session, review_id, lock=True)
    if review.calibration_id is not None:
        raise NotDisputable(f"review {review_id!r} is a calibration review; it never counts for the agent")
    if body.agent_id != review.agent_id:
        raise NotTheAgent(body.agent_id)
    if now > review.reviewed_at + timedelta(days=window_days):
        raise DisputeWindowClosed(review.id, window_days)
    already = (await session.execute(select(Dispute.id).where(Dispute.review_id == review.id, Dispute.status == OPEN))).scalar()
    if already is not None:
        raise DisputeAlreadyOpen(review.id, already)

    definition = (await get_version(session, review.scorecard_id, review.scorecard_version)).definition
    categories = categories_of(definition)
    rows = {row.category_key: row for row in (await answers_of(session, [review.id]))[review.id]}
    errors: list[dict[str, str]] = []
    if not body.comment.strip():
        errors.append({"field": "comment", "message": "must say why the review is disputed"})
    seen: set[str] = set()
    for index, item in enumerate(body.categories):
        if item.key not in rows:
            errors.append({"field": f"categories[{index}].key", "message": f"{item.key!r} is not a category of this review"})
            continue
        if item.key in seen:
            errors.append({"field": f"categories[{index}].key", "message": f"{item.key!r} is disputed twice"})
        seen.add(item.key)
        problem = _answer_problem(item.proposed_answer, categories[item.key][1])
        if problem:
            errors.append({"field": f"categories[{index}].proposed_answer", "message": problem})
    if errors:
        raise InvalidInput(errors=errors)

    arbitrator_id = await _arbitrator(session, review, body.arbitrator_id)
    dispute = Dispute(
        id=str(uuid.uuid4()), review_id=review.id, agent_id=review.agent_id, reviewer_id=review.reviewer_id,
        arbitrator_id=arbitrator_id, comment=body.comment, status=OPEN,
        review_version=review.version, created_at=now,
    )
    session.add(dispute)
    await session.flush()
    items = [
        DisputeItem(
            dispute_id=dispute.id, category_key=item.key, comment=item.comment, proposed_answer=item.proposed_answer,
            original_score=rows[item.key].score,
        )
        for item in body.categories
    ]
    session.add_all(items)
    await session.flush()
    return dispute_view(dispute, items)


async def _arbitrator(session: AsyncSession, review: Review, asked: str | None) -> str:
    """Who resolves a dispute of ``review``: the arbitrator of its plan when the plan names one
    (unless that is the disputing agent), else the one the request names, else the review's
    reviewer; never the disputing agent."""
    plan = await session.get(AuditPlan, review.plan_id) if review.plan_id is not None and could_be_key(review.plan_id, 36) else None
    planned = plan.arbitrator_id if plan is not None and plan.arbitrator_id != review.agent_id else None
    if planned is not None and asked is not None and asked != planned:
        raise InvalidInput("arbitrator_id", f"disputes of plan {plan.id!r} go to its arbitrator {planned!r}; leave arbitrator_id out")
    arbitrator = planned or asked or review.reviewer_id
    if arbitrator == review.agent_id:
        raise InvalidInput("arbitrator_id", f"{arbitrator!r} is the disputing agent: name another arbitrator")
    return arbitrator


async def resolve_dispute(
    session: AsyncSession, dispute_id: str, body: DisputeResolve, *, topic: str, now: datetime | None = None
) -> dict[str, Any]:
    """Accept (the proposed answers), partially accept (``body.answers``) or reject. Changed
    scores re-score the review and publish its next ``audit.completed`` version."""
    now = now or utcnow()
    dispute = await _dispute_row(session, dispute_id, lock=True)
    if dispute.status != OPEN:
        raise DisputeAlreadyResolved(dispute.id, dispute.status)
    if body.arbitrator_id != dispute.arbitrator_id:
        raise NotTheArbitrator(dispute.arbitrator_id)
    items = await _items_of(session, dispute.id)
    new_answers = _decided_answers(body, items)

    review = await review_row(session, dispute.review_id, lock=True)
    rows = (await answers_of(session, [review.id]))[review.id]
    if new_answers:
        await _rescore(session, review, rows, new_answers, topic=topic, now=now)
    by_key = {row.category_key: row for row in rows}
    for item in items:
        item.final_score = by_key[item.category_key].score
        item.changed = item.final_score != item.original_score
    dispute.status, dispute.resolution_comment, dispute.resolved_at = body.outcome, body.comment, now
    await session.flush()
    return dispute_view(dispute, items)


def _decided_answers(body: DisputeResolve, items: list[DisputeItem]) -> dict[str, Any]:
    """The new answer per category the outcome decides, or InvalidInput naming what is wrong."""
    disputed = {item.category_key: item for item in items}
    if body.outcome == "rejected":
        if body.answers:
            raise InvalidInput("answers", "a rejected dispute changes no answer")
        return {}
    if body.outcome == "accepted":
        if body.answers:
            raise InvalidInput("answers", "accepted takes the agent's proposed answers; use partially_accepted to set others")
        missing = [key for key, item in disputed.items() if item.proposed_answer is None]
        if missing:
            raise InvalidInput("outcome", f"categories {missing} have no proposed answer: use partially_accepted with answers")
        return {key: item.proposed_answer for key, item in disputed.items()}
    if not body.answers:
        raise InvalidInput("answers", "partially_accepted needs the new answers of the categories it changes")
    unknown = [{"field": f"answers.{key}", "message": "is not a disputed category"} for key in body.answers if key not in disputed]
    if unknown:
        raise InvalidInput(errors=unknown)
    return dict(body.answers)


async def _rescore(session: AsyncSession, review: Review, rows: list[ReviewAnswer], new_answers: dict[str, Any], *, topic: str, now: datetime) -> None:
    definition = (await get_version(session, review.scorecard_id, review.scorecard_version)).definition
    answers = {row.category_key: NA if row.answer is None else row.answer for row in rows}
    answers.update(new_answers)
    scored_keys = {row.category_key: row for row in rows}
    # Root causes stay with the categories still below full marks; a corrected one loses them.
    root_causes = {row.category_key: row.root_causes for row in rows if row.root_causes and row.category_key not in new_answers}
    comments = {row.category_key: row.comment for row in rows if row.comment}
    scored = score_answers(definition, answers, root_causes, comments)
    changed = scored.score != review.score or scored.failed_critical != review.failed_critical
    for category in scored.categories:
        row = scored_keys[category.key]
        changed = changed or (row.answer, row.score) != (category.answer, category.score)
        row.answer, row.score, row.root_causes = category.answer, category.score, category.root_causes
    if not changed:
        return
    review.score, review.failed_critical = scored.score, scored.failed_critical
    review.version += 1
    review.updated_at = now
    await session.flush()
    await publish_completed(session, review, rows, topic=topic, now=now)


def _answer_problem(answer: Any, category: dict[str, Any]) -> str | None:
    if answer is None:
        return None
    if answer == NA:
        return None if category.get("allow_na") else "N/A is not allowed for this category"
    return answer_error(answer, category["scale"])


# ---- reads ------------------------------------------------------------------------------


def dispute_view(dispute: Dispute, items: list[DisputeItem]) -> dict[str, Any]:
    fields = {column.key: getattr(dispute, column.key) for column in Dispute.__table__.columns}
    categories = [
        {
            "key": item.category_key, "comment": item.comment, "proposed_answer": item.proposed_answer,
            "original_score": item.original_score, "final_score": item.final_score, "changed": item.changed,
        }
        for item in sorted(items, key=lambda item: item.category_key)
    ]
    return {**fields, "categories": categories}


async def _dispute_row(session: AsyncSession, dispute_id: str, *, lock: bool = False) -> Dispute:
    dispute = None
    if could_be_key(dispute_id, 36):
        statement = select(Dispute).where(Dispute.id == dispute_id)
        dispute = (await session.execute(statement.with_for_update() if lock else statement)).scalar_one_or_none()
    if dispute is None:
        raise DisputeNotFound(dispute_id)
    return dispute


async def _items_of(session: AsyncSession, dispute_id: str) -> list[DisputeItem]:
    statement = select(DisputeItem).where(DisputeItem.dispute_id == dispute_id).order_by(DisputeItem.category_key)
    return list((await session.execute(statement)).scalars())


async def get_dispute(session: AsyncSession, dispute_id: str) -> dict[str, Any]:
    dispute = await _dispute_row(session, dispute_id)
    return dispute_view(dispute, await _items_of(session, dispute.id))


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


async def list_disputes(
    session: AsyncSession, *, limit: int, cursor: str | None = None, status: str | None = None,
    reviewer_id: str | None = None, agent_id: str | None = None, arbitrator_id: str | None = None, review_id: str | None = None,
) -> Page:
    statement = select(Dispute)
    for column, value in (
        (Dispute.status, status), (Dispute.reviewer_id, reviewer_id), (Dispute.agent_id, agent_id),
        (Dispute.arbitrator_id, arbitrator_id), (Dispute.review_id, review_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    disputes, next_cursor = await newest_first(session, statement, Dispute, limit=limit, cursor=cursor)
    return Page(items=[dispute_view(d, await _items_of(session, d.id)) for d in disputes], next_cursor=next_cursor)
