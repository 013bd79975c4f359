"""The handling workflow of a feedback item: new → triaged → in progress → replied → resolved →
confirmed by the customer or reopened. A step from a state that does not allow it is a 409
naming the state. Nothing here commits; every event goes to the outbox on the caller's session."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus import outbox
from csq_common.events import Customer, FeedbackReplied, FeedbackResolved, FeedbackTriaged, make_event, sealed_contact
from csq_common.sealing import Sealer
from feedback_svc.feedback.errors import ConfirmationLinkUnknown, FeedbackNotFound, InvalidTransition
from feedback_svc.feedback.models import FeedbackItem
from feedback_svc.feedback.service import SOURCE
from feedback_svc.feedback.workflow_schemas import CustomerAnswer, Reply, Triage

TRIAGE_FROM = ("new", "reopened")
START_FROM = ("triaged", "reopened")
REPLY_FROM = ("triaged", "in_progress", "reopened")
RESOLVE_FROM = ("triaged", "in_progress", "replied")
ANSWER_FROM = ("replied", "resolved")


@dataclass(frozen=True)
class Targets:
    """Hours to the first reply and to the resolution per severity ("1" … "4"), and how long the
    customer's confirmation link works."""

    response_hours: dict[str, float]
    resolution_hours: dict[str, float]
    link_days: float


async def _item(session: AsyncSession, feedback_id: str, action: str, allowed_from: tuple[str, ...]) -> FeedbackItem:
    item = await session.get(FeedbackItem, feedback_id, with_for_update=True)
    if item is None:
        raise FeedbackNotFound(feedback_id)
    if item.status not in allowed_from:
        raise InvalidTransition(action, item.status, allowed_from)
    return item


async def _publish(session: AsyncSession, item: FeedbackItem, data, *, at: datetime, topic: str) -> None:
    await outbox.add(session, make_event(data, source=SOURCE, subject=item.id, time=at), topic=topic, key=item.id)


async def triage(session: AsyncSession, feedback_id: str, body: Triage, *, now: datetime, targets: Targets, topic: str) -> FeedbackItem:
    """Assign team and owner; the due times follow the item's severity."""
    item = await _item(session, feedback_id, "triage", TRIAGE_FROM)
    severity = str(item.severity)
    item.status, item.team_id, item.assignee_id, item.triaged_at = "triaged", body.team_id, body.assignee_id, now
    item.response_due_at = now + timedelta(hours=targets.response_hours[severity])
    item.resolution_due_at = now + timedelta(hours=targets.resolution_hours[severity])
    item.updated_at = now
    await _publish(
        session, item,
        FeedbackTriaged(
            feedback_id=item.id, kind=item.kind, category=item.category, severity=item.severity, priority=item.priority,
            team_id=item.team_id, assignee_id=item.assignee_id, triaged_at=now, due_at=item.response_due_at,
        ),
        at=now, topic=topic,
    )
    return item


async def start(session: AsyncSession, feedback_id: str, *, now: datetime) -> FeedbackItem:
    item = await _item(session, feedback_id, "start work on", START_FROM)
    item.status, item.updated_at = "in_progress", now
    return item


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def reply(
    session: AsyncSession, feedback_id: str, body: Reply, *, now: datetime, targets: Targets, topic: str,
    sealer: Sealer, public_base_url: str,
) -> FeedbackItem:
    """Record the reply and hand it to notify-svc sealed, with a fresh one-time confirmation link
    (only its hash is kept; the link itself exists only inside the sealed event)."""
    item = await _item(session, feedback_id, "reply to", REPLY_FROM)
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=targets.link_days)
    item.status, item.replied_at, item.reply_text, item.updated_at = "replied", now, body.text, now
    item.confirmation_token_digest, item.confirmation_expires_at = token_digest(token), expires_at
    customer = Customer(id=item.customer_id, email=item.customer_email, name=item.customer_name, locale=item.language)
    has_address = item.customer_email is not None
    await _publish(
        session, item,
        FeedbackReplied(
            feedback_id=item.id, kind=item.kind, category=item.category, team_id=item.team_id,
            agent_id=body.agent_id or item.assignee_id, locale=item.language, replied_at=now, expires_at=expires_at,
            sealed_message=sealed_contact(customer, sealer) if has_address else None,
            sealed_content=sealer.seal({"reply_text": body.text, "confirm_link": f"{public_base_url}/v1/public/feedback/{token}"})
            if has_address else None,
        ),
        at=now, topic=topic,
    )
    return item


def _resolved_event(item: FeedbackItem, *, resolved_at: datetime, confirmed: bool | None) -> FeedbackResolved:
    return FeedbackResolved(
        feedback_id=item.id, kind=item.kind, category=item.category, severity=item.severity, team_id=item.team_id,
        agent_id=item.agent_id, received_at=item.received_at, resolved_at=resolved_at, customer_confirmed=confirmed,
    )


async def resolve(session: AsyncSession, feedback_id: str, *, now: datetime, topic: str) -> FeedbackItem:
    item = await _item(session, feedback_id, "resolve", RESOLVE_FROM)
    item.status, item.resolved_at, item.customer_confirmed, item.updated_at = "resolved", now, None, now
    await _publish(session, item, _resolved_event(item, resolved_at=now, confirmed=None), at=now, topic=topic)
    return item


async def _by_token(session: AsyncSession, token: str, *, now: datetime, lock: bool = False) -> FeedbackItem:
    statement = select(FeedbackItem).where(FeedbackItem.confirmation_token_digest == token_digest(token))
    item = (await session.execute(statement.with_for_update() if lock else statement)).scalar_one_or_none()
    if item is None or item.confirmation_expires_at is None or item.confirmation_expires_at <= now:
        raise ConfirmationLinkUnknown()
    return item


def _page(item: FeedbackItem) -> dict:
    return {
        "status": item.status, "kind": item.kind, "category": item.category, "language": item.language,
        "replied_at": item.replied_at, "reply_text": item.reply_text, "resolved_at": item.resolved_at,
        "expires_at": item.confirmation_expires_at,
    }


async def confirmation_page(session: AsyncSession, token: str, *, now: datetime) -> dict:
    return _page(await _by_token(session, token, now=now))


async def customer_answer(session: AsyncSession, token: str, answer: CustomerAnswer, *, now: datetime, topic: str) -> dict:
    """The customer confirms the resolution (→ confirmed) or says it is not resolved (→ reopened).
    The link works once."""
    item = await _by_token(session, token, now=now, lock=True)
    if item.status not in ANSWER_FROM:
        raise InvalidTransition("answer for", item.status, ANSWER_FROM)
    was_resolved_at = item.resolved_at
    item.confirmation_token_digest, item.customer_comment, item.updated_at = None, answer.comment, now
    if answer.resolved:
        item.status, item.customer_confirmed, item.confirmed_at = "confirmed", True, now
        item.resolved_at = was_resolved_at or now
        await _publish(session, item, _resolved_event(item, resolved_at=item.resolved_at, confirmed=True), at=now, topic=topic)
    else:
        item.status, item.customer_confirmed, item.resolved_at = "reopened", False, None
        item.reopen_count += 1
        if was_resolved_at is not None:
            await _publish(session, item, _resolved_event(item, resolved_at=was_resolved_at, confirmed=False), at=now, topic=topic)
    return _page(item)
