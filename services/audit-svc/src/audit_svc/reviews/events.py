"""``audit.completed`` for a review: the outbox row added in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus import outbox
from csq_common.events import AuditCompleted, CategoryScore, make_event
from audit_svc.reviews.models import Review, ReviewAnswer

SOURCE = "audit-svc"
EVENT_NAMESPACE = uuid.UUID("6f1c1f36-4d5e-4a8e-9b0e-5d3c2a1b0c91")


def completed_data(review: Review, answers: list[ReviewAnswer]) -> AuditCompleted:
    return AuditCompleted(
        review_id=review.id,
        version=review.version,
        plan_id=review.plan_id,
        method=review.method,
        ticket_id=review.ticket_id,
        agent_id=review.agent_id,
        team_id=review.team_id,
        channel=review.channel,
        scorecard_id=review.scorecard_id,
        scorecard_version=review.scorecard_version,
        score=review.score,
        failed_critical=review.failed_critical,
        reviewer_id=review.reviewer_id,
        reviewed_at=review.reviewed_at,
        categories=[CategoryScore(category_id=row.category_key, score=row.score) for row in sorted(answers, key=lambda row: row.position)],
        counts_for_agent=review.counts_for_agent,
    )


async def publish_completed(session: AsyncSession, review: Review, answers: list[ReviewAnswer], *, topic: str, now: datetime) -> None:
    """Stage ``audit.completed`` version ``review.version``, keyed by the review id so a review's
    versions stay in order; the event id is derived from (review, version), so a retried
    transaction cannot publish one version twice under two ids."""
    event_id = str(uuid.uuid5(EVENT_NAMESPACE, f"audit.completed:{review.id}:{review.version}"))
    event = make_event(completed_data(review, answers), source=SOURCE, subject=review.id, time=now, event_id=event_id)
    await outbox.add(session, event, topic=topic, key=review.id)
