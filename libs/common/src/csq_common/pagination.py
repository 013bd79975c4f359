"""Opaque cursors for keyset pagination (``limit``, ``cursor``, ``next_cursor``) on every list.

A cursor is the sort key of the last item returned, as URL-safe base64 of a JSON array; clients
treat it as opaque. A cursor that does not decode to the expected shape is a 422 naming
``cursor``, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timezone

from csq_common.errors import InvalidInput
from csq_common.types import unstorable_reason

MAX_KEY_LENGTH = 200


def encode_cursor(*key: str) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _refuse() -> InvalidInput:
    return InvalidInput("cursor", "is not a cursor this API issued")


def decode_cursor(cursor: str, parts: int = 1) -> list[str]:
    """The ``parts`` strings of a cursor from :func:`encode_cursor` (storable text, bounded length)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise _refuse() from None
    if (
        not isinstance(key, list)
        or len(key) != parts
        or not all(isinstance(part, str) and 0 < len(part) <= MAX_KEY_LENGTH and unstorable_reason(part) is None for part in key)
    ):
        raise _refuse()
    return key


def encode_time_cursor(moment: datetime, item_id: str) -> str:
    """Cursor for lists ordered by (timestamp, id)."""
    return encode_cursor(moment.isoformat(), item_id)


def decode_time_cursor(cursor: str) -> tuple[datetime, str]:
    moment_text, item_id = decode_cursor(cursor, parts=2)
    try:
        moment = datetime.fromisoformat(moment_text)
        if moment.tzinfo is None:
            raise ValueError(moment_text)
        return moment.astimezone(timezone.utc), item_id
    except (ValueError, OverflowError):
        raise _refuse() from None


async def newest_first(session, statement, model, *, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """One page of ``statement`` (a ``select(model)`` with its filters) ordered newest first by
    ``(model.created_at, model.id)``: the items and the ``next_cursor`` (None on the last page)."""
    from sqlalchemy import and_, or_

    statement = statement.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)
    if cursor:
        created_at, item_id = decode_time_cursor(cursor)
        statement = statement.where(or_(model.created_at < created_at, and_(model.created_at == created_at, model.id < item_id)))
    rows = list((await session.execute(statement)).scalars())
    items = rows[:limit]
    return items, (encode_time_cursor(items[-1].created_at, items[-1].id) if len(rows) > limit else None)
