"""Accepting deliveries and reading the delivery log. Nothing here commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from csq_common.sql import insert_unless_exist
from csq_common.errors import InvalidInput
from csq_common.pagination import decode_time_cursor, encode_time_cursor
from csq_common.http.problems import validation_errors
from notify_svc.deliveries import sender, templates
from notify_svc.deliveries.errors import DeliveryNotFound
from notify_svc.deliveries.mail import message_id_for
from notify_svc.deliveries.models import QUEUED, Delivery
from notify_svc.deliveries.schemas import DeliveryCreate


@dataclass(frozen=True)
class Accepted:
    delivery: Delivery
    created: bool  # False: the idempotency key was known, nothing new was queued


async def create_delivery(
    session: AsyncSession, body: DeliveryCreate, *, mail_from: str, customer_id: str | None = None
) -> Accepted:
    """Queue a message, rendered now; the same ``idempotency_key`` again returns the first one.
    ``customer_id``: whose message it is, when known (an erasure finds it by that)."""
    existing = await _by_idempotency_key(session, body.idempotency_key)
    if existing is not None:
        return Accepted(existing, created=False)
    try:
        typed = templates.validate_variables(body.template, body.variables)
    except ValidationError as exc:
        errors = validation_errors([{**e, "loc": ("variables", *e["loc"])} for e in exc.errors()])
        raise InvalidInput(errors=errors) from None
    rendered = templates.render(body.template, body.locale, typed)
    now = utcnow()
    delivery_id = str(uuid.uuid4())
    row = {
        "id": delivery_id,
        "idempotency_key": body.idempotency_key,
        "channel": body.channel,
        "recipient_email": body.to.email,
        "recipient_name": body.to.name,
        "customer_id": customer_id,
        "locale": body.locale,
        "template": body.template,
        "variables": typed.model_dump(mode="json", exclude_none=True),
        "subject": rendered.subject,
        "text_body": rendered.text,
        "html_body": rendered.html,
        "message_id": message_id_for(delivery_id, mail_from),
        "status": QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }
    # A concurrent request with the same key: ON CONFLICT waits for it and then inserts nothing.
    if not await insert_unless_exist(session, Delivery.__table__, [row], key="idempotency_key"):
        return Accepted(await _by_idempotency_key(session, body.idempotency_key), created=False)
    sender.wake()
    return Accepted(await get_delivery(session, delivery_id), created=True)


async def _by_idempotency_key(session: AsyncSession, key: str) -> Delivery | None:
    return await session.scalar(select(Delivery).where(Delivery.idempotency_key == key))


async def get_delivery(session: AsyncSession, delivery_id: str) -> Delivery:
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None:
        raise DeliveryNotFound(delivery_id)
    return delivery


@dataclass(frozen=True)
class Page:
    items: list[Delivery]
    next_cursor: str | None


async def list_deliveries(session: AsyncSession, *, status: str | None, limit: int, cursor: str | None) -> Page:
    """Newest first; ``next_cursor`` continues after the last item."""
    query = select(Delivery).order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit + 1)
    if status is not None:
        query = query.where(Delivery.status == status)
    if cursor is not None:
        created_at, delivery_id = decode_time_cursor(cursor)
        query = query.where(
            or_(Delivery.created_at < created_at, and_(Delivery.created_at == created_at, Delivery.id < delivery_id))
        )
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=encode_time_cursor(rows[-1].created_at, rows[-1].id) if more else None)
