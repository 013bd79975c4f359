"""Findings: raise (with ``audit.finding_raised`` in the outbox), read, close. Nothing here
commits.

A finding from a review names the review; it closes once every corrective action on it is
verified effective (or it has none).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus import outbox
from csq_common.db import could_be_key
from csq_common.errors import InvalidInput
from csq_common.events import FindingRaised, make_event
from csq_common.pagination import newest_first
from audit_svc.findings.errors import ActionOpen, FindingClosed, FindingNotFound
from audit_svc.findings.models import ACTION_VERIFIED, FINDING_CLOSED, FINDING_OPEN, CorrectiveAction, Finding
from audit_svc.findings.schemas import FindingCreate

SOURCE = "audit-svc"
EVENT_NAMESPACE = uuid.UUID("5d6c1c3e-21a7-4f0b-8f43-3a1d2b7c9e64")


def event_id(*parts: str) -> str:
    """The same parts always give the same event id (the outbox refuses a second copy)."""
    return str(uuid.uuid5(EVENT_NAMESPACE, "/".join(parts)))


async def raise_finding(session: AsyncSession, body: FindingCreate, *, topic: str, author: str, now: datetime) -> Finding:
    if body.source == "review" and body.review_id is None:
        raise InvalidInput("review_id", "required for a finding from a review")
    finding = Finding(
        id=str(uuid.uuid4()), source=body.source, review_id=body.review_id, reference=body.reference, plan_id=body.plan_id,
        severity=body.severity, category=body.category, description=body.description, agent_id=body.agent_id,
        team_id=body.team_id, owner_id=body.owner_id, due_at=body.due_at, status=FINDING_OPEN, raised_by=author,
        raised_at=now, created_at=now,
    )
    session.add(finding)
    data = FindingRaised(
        finding_id=finding.id, review_id=finding.review_id, severity=finding.severity, category=finding.category,
        agent_id=finding.agent_id, team_id=finding.team_id, owner_id=finding.owner_id, due_at=finding.due_at, raised_at=now,
    )
    event = make_event(data, source=SOURCE, subject=finding.id, time=now, event_id=event_id(finding.id, "raised"))
    await outbox.add(session, event, topic=topic, key=finding.id)
    await session.flush()
    return finding


async def close_finding(session: AsyncSession, finding_id: str, *, now: datetime) -> Finding:
    finding = await locked_finding(session, finding_id)
    if finding.status == FINDING_CLOSED:
        return finding
    pending = await session.scalar(
        select(CorrectiveAction.id).where(CorrectiveAction.finding_id == finding.id, CorrectiveAction.status != ACTION_VERIFIED).limit(1)
    )
    if pending is not None:
        raise ActionOpen(f"finding {finding_id!r} has corrective actions not verified yet (e.g. {pending!r})")
    finding.status, finding.closed_at = FINDING_CLOSED, now
    await session.flush()
    return finding


def ensure_open(finding: Finding) -> None:
    if finding.status == FINDING_CLOSED:
        raise FindingClosed(f"finding {finding.id!r} is closed")


# ---- reads ------------------------------------------------------------------------------


async def get_finding(session: AsyncSession, finding_id: str) -> Finding:
    finding = await session.get(Finding, finding_id) if could_be_key(finding_id, 36) else None
    if finding is None:
        raise FindingNotFound(finding_id)
    return finding


async def locked_finding(session: AsyncSession, finding_id: str) -> Finding:
    finding = None
    if could_be_key(finding_id, 36):
        finding = (await session.execute(select(Finding).where(Finding.id == finding_id).with_for_update())).scalar_one_or_none()
    if finding is None:
        raise FindingNotFound(finding_id)
    return finding


async def finding_detail(session: AsyncSession, finding_id: str) -> dict:
    finding = await get_finding(session, finding_id)
    actions = (
        await session.execute(
            select(CorrectiveAction).where(CorrectiveAction.finding_id == finding.id).order_by(CorrectiveAction.created_at, CorrectiveAction.id)
        )
    ).scalars().all()
    return {**{column.key: getattr(finding, column.key) for column in Finding.__table__.columns}, "actions": list(actions)}


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


async def list_findings(
    session: AsyncSession, *, limit: int, cursor: str | None, status: str | None = None, severity: int | None = None,
    agent_id: str | None = None, team_id: str | None = None, owner_id: str | None = None, source: str | None = None,
) -> Page:
    """Newest first, ``limit`` at a time; ``next_cursor`` is None on the last page."""
    statement = select(Finding)
    filters = ((Finding.status, status), (Finding.severity, severity), (Finding.agent_id, agent_id), (Finding.team_id, team_id),
               (Finding.owner_id, owner_id), (Finding.source, source))
    for column, value in filters:
        if value is not None:
            statement = statement.where(column == value)
    items, next_cursor = await newest_first(session, statement, Finding, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)
