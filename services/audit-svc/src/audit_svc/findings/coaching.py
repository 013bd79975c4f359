"""Coaching items opened from a finding about an agent: a topic, the reviews it comes from, a
due date, the agent's acknowledgement, and the follow-up review that completes it. Nothing here
commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key
from csq_common.errors import InvalidInput
from csq_common.pagination import newest_first
from audit_svc.findings.errors import CoachingNotFound, CoachingState
from audit_svc.findings.models import COACHING_ACKNOWLEDGED, COACHING_COMPLETED, COACHING_OPEN, CoachingItem
from audit_svc.findings.schemas import Acknowledgement, CoachingCreate, FollowUp
from audit_svc.findings.service import Page, ensure_open, locked_finding


async def open_coaching(session: AsyncSession, finding_id: str, body: CoachingCreate, *, author: str, now: datetime) -> CoachingItem:
    finding = await locked_finding(session, finding_id)
    ensure_open(finding)
    if finding.agent_id is None:
        raise CoachingState(f"finding {finding_id!r} concerns no agent; coaching is for an agent")
    review_ids = list(dict.fromkeys(body.review_ids or ([finding.review_id] if finding.review_id else [])))
    item = CoachingItem(
        id=str(uuid.uuid4()), finding_id=finding.id, agent_id=finding.agent_id, coach_id=body.coach_id, topic=body.topic,
        review_ids=review_ids, due_at=body.due_at, status=COACHING_OPEN, created_by=author, created_at=now,
    )
    session.add(item)
    await session.flush()
    return item


async def _locked(session: AsyncSession, item_id: str) -> CoachingItem:
    item = None
    if could_be_key(item_id, 36):
        item = (await session.execute(select(CoachingItem).where(CoachingItem.id == item_id).with_for_update())).scalar_one_or_none()
    if item is None:
        raise CoachingNotFound(item_id)
    return item


async def acknowledge(session: AsyncSession, item_id: str, body: Acknowledgement, *, now: datetime) -> CoachingItem:
    """The coached agent confirms they have seen the coaching; repeating it changes nothing."""
    item = await _locked(session, item_id)
    if body.agent_id != item.agent_id:
        raise InvalidInput("agent_id", "only the coached agent acknowledges their coaching")
    if item.status == COACHING_OPEN:
        item.status, item.acknowledged_at = COACHING_ACKNOWLEDGED, now
        await session.flush()
    return item


async def follow_up(session: AsyncSession, item_id: str, body: FollowUp, *, now: datetime) -> CoachingItem:
    """The follow-up review completes the coaching (after the agent acknowledged it)."""
    item = await _locked(session, item_id)
    if item.status == COACHING_COMPLETED:
        if item.follow_up_review_id == body.review_id:
            return item
        raise CoachingState(f"coaching {item_id!r} was followed up by review {item.follow_up_review_id!r}")
    if item.status != COACHING_ACKNOWLEDGED:
        raise CoachingState(f"coaching {item_id!r} is not acknowledged by the agent yet")
    item.status, item.follow_up_review_id, item.completed_at = COACHING_COMPLETED, body.review_id, now
    await session.flush()
    return item


async def get_coaching(session: AsyncSession, item_id: str) -> CoachingItem:
    item = await session.get(CoachingItem, item_id) if could_be_key(item_id, 36) else None
    if item is None:
        raise CoachingNotFound(item_id)
    return item


async def list_coaching(
    session: AsyncSession, *, limit: int, cursor: str | None, agent_id: str | None = None, status: str | None = None, finding_id: str | None = None
) -> Page:
    statement = select(CoachingItem)
    for column, value in ((CoachingItem.agent_id, agent_id), (CoachingItem.status, status), (CoachingItem.finding_id, finding_id)):
        if value is not None:
            statement = statement.where(column == value)
    items, next_cursor = await newest_first(session, statement, CoachingItem, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)
