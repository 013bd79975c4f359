"""Keeping and listing rejected vendor payloads. Nothing here commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.pagination import newest_first
from feedback_svc.rejections.models import WebhookRejection

SOURCES = ("zendesk", "freshdesk", "chatwoot")


async def keep(session: AsyncSession, *, source: str, body: bytes, errors: list[dict[str, str]], received_at: datetime) -> WebhookRejection:
    """Store what arrived (kept until the retention rule removes it) and why it was refused."""
    text = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    rejection = WebhookRejection(id=str(uuid.uuid4()), source=source, created_at=received_at, errors=errors, body=text)
    session.add(rejection)
    await session.flush()
    return rejection


@dataclass(frozen=True)
class Page:
    items: list[WebhookRejection]
    next_cursor: str | None


async def list_rejections(session: AsyncSession, *, source: str | None, limit: int, cursor: str | None) -> Page:
    """Newest first, ``limit`` at a time, optionally of one vendor."""
    statement = select(WebhookRejection)
    if source is not None:
        statement = statement.where(WebhookRejection.source == source)
    items, next_cursor = await newest_first(session, statement, WebhookRejection, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)
