"""Taking in feedback items: classify, rate, store once per (source, external id) and stage
``feedback.received``. Reading them back, and erasing a customer's identity from them. Nothing
here commits."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus import outbox
from csq_common.events import FeedbackReceived, make_event
from csq_common.pagination import decode_time_cursor, encode_time_cursor
from csq_common.sql import insert_unless_exist
from feedback_svc.classification import service as rules_service
from feedback_svc.classification.classifier import classify
from feedback_svc.classification.severity import FeedbackFacts, rate
from feedback_svc.classification.text import detect_language
from feedback_svc.feedback.errors import FeedbackNotFound
from feedback_svc.feedback.models import FeedbackItem
from feedback_svc.feedback.schemas import FeedbackCreate

SOURCE = "feedback-svc"
ITEM_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://csq.dev/feedback-svc/feedback-items")
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://csq.dev/feedback-svc/feedback-events")


def item_id_for(source: str, external_id: str | None) -> str:
    """The same id for every delivery of a platform's item; a fresh one when it has no id."""
    if external_id is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(ITEM_NAMESPACE, json.dumps([source, external_id])))


def event_id_for(feedback_id: str, event_type: str, occurrence: int | str = 0) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, json.dumps([feedback_id, event_type, str(occurrence)])))


@dataclass(frozen=True)
class Intake:
    item: FeedbackItem
    duplicate: bool


def received_event(item: FeedbackItem) -> FeedbackReceived:
    return FeedbackReceived(
        feedback_id=item.id, kind=item.kind, channel=item.channel, source=item.source, category=item.category,
        severity=item.severity, priority=item.priority, received_at=item.received_at, team_id=item.team_id,
        agent_id=item.agent_id, ticket_id=item.ticket_id, rating=item.rating, sentiment=item.sentiment,
        language=item.language,
    )


async def receive(session: AsyncSession, body: FeedbackCreate, *, now: datetime, topic: str) -> Intake:
    """Classify and rate ``body``, store it and stage ``feedback.received``; the same
    (source, external_id) again returns the stored item unchanged as a duplicate."""
    feedback_id = item_id_for(body.source, body.external_id)
    if body.external_id is not None and (existing := await session.get(FeedbackItem, feedback_id)) is not None:
        return Intake(existing, duplicate=True)
    language = body.language or detect_language(body.text)
    classification_rules = (await rules_service.classification_rules(session)).rules
    severity_rules = (await rules_service.severity_rules(session)).rules
    # Tokenizing and the sentiment model are CPU work: off the event loop.
    guess = await asyncio.to_thread(classify, body.text, language, classification_rules, rating=body.rating)
    kind = body.kind or guess.kind
    received_at = body.received_at or now
    customer = body.customer
    customer_id = customer.id if customer else None
    rating = rate(
        severity_rules,
        FeedbackFacts(
            kind=kind, channel=body.channel, rating=body.rating, text=body.text, tags=body.tags,
            previous_complaints=await rules_service.previous_complaints(session, customer_id, received_at, severity_rules.rules),
        ),
    )
    row = {
        "id": feedback_id, "source": body.source, "external_id": body.external_id, "channel": body.channel,
        "text": body.text, "rating": body.rating, "language": language, "attachments": list(body.attachments),
        "tags": list(body.tags), "customer_id": customer_id,
        "customer_name": customer.name if customer else None, "customer_email": customer.email if customer else None,
        "customer_phone": customer.phone if customer else None,
        "ticket_id": body.ticket_id, "team_id": body.team_id, "agent_id": body.agent_id,
        "kind": kind, "category": guess.category, "kind_given": body.kind is not None,
        "predicted_kind": guess.kind, "predicted_category": guess.category, "reviewed": False,
        "sentiment": guess.sentiment, "severity": rating.severity, "priority": rating.priority,
        "fired_rules": [rule.model_dump(mode="json") for rule in rating.fired],
        "status": "new", "reopen_count": 0, "received_at": received_at, "created_at": now, "updated_at": now,
    }
    inserted = await insert_unless_exist(session, FeedbackItem.__table__, [row], key="id")
    item = await session.get(FeedbackItem, feedback_id, populate_existing=True)
    if not inserted:  # a concurrent delivery of the same item won
        return Intake(item, duplicate=True)
    event = make_event(
        received_event(item), source=SOURCE, subject=item.id, time=received_at,
        event_id=event_id_for(item.id, FeedbackReceived.event_type),
    )
    await outbox.add(session, event, topic=topic, key=item.id)
    return Intake(item, duplicate=False)


async def get_item(session: AsyncSession, feedback_id: str) -> FeedbackItem:
    item = await session.get(FeedbackItem, feedback_id)
    if item is None:
        raise FeedbackNotFound(feedback_id)
    return item


@dataclass(frozen=True)
class ItemFilters:
    received_from: datetime | None = None
    received_to: datetime | None = None
    kind: str | None = None
    category: str | None = None
    channel: str | None = None
    source: str | None = None
    status: str | None = None
    severity: int | None = None
    team_id: str | None = None
    agent_id: str | None = None
    customer_id: str | None = None

    def conditions(self) -> list:
        found = []
        if self.received_from is not None:
            found.append(FeedbackItem.received_at >= self.received_from)
        if self.received_to is not None:
            found.append(FeedbackItem.received_at < self.received_to)
        for name in ("kind", "category", "channel", "source", "status", "severity", "team_id", "agent_id", "customer_id"):
            value = getattr(self, name)
            if value is not None:
                found.append(getattr(FeedbackItem, name) == value)
        return found


@dataclass(frozen=True)
class Page:
    items: list[FeedbackItem]
    next_cursor: str | None


async def list_items(session: AsyncSession, filters: ItemFilters, *, limit: int, cursor: str | None) -> Page:
    """Newest received first, keyset-paginated on (received_at, id)."""
    statement = select(FeedbackItem).where(*filters.conditions())
    if cursor:
        at, item_id = decode_time_cursor(cursor)
        statement = statement.where(
            (FeedbackItem.received_at < at) | and_(FeedbackItem.received_at == at, FeedbackItem.id < item_id)
        )
    rows = list(
        (await session.execute(statement.order_by(FeedbackItem.received_at.desc(), FeedbackItem.id.desc()).limit(limit + 1))).scalars()
    )
    items = rows[:limit]
    return Page(items, encode_time_cursor(items[-1].received_at, items[-1].id) if len(rows) > limit else None)


async def erase_customer_identity(session: AsyncSession, customer_id: str, *, now: datetime) -> int:
    """Remove the customer's id, name, email and phone from their feedback items (the text and
    what the analysis needs stay): how many items were anonymised."""
    result = await session.execute(
        update(FeedbackItem)
        .where(FeedbackItem.customer_id == customer_id)
        .values(customer_id=None, customer_name=None, customer_email=None, customer_phone=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return max(result.rowcount or 0, 0)
