"""``ticket.message_added`` webhook bodies as a CRM sends them, overridable per test."""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count(1)


def message_event(
    message_id: str, *, text: str, sent_at: str, role: str = "agent", public: bool = True,
    ticket: dict[str, Any] | None = None, event_id: str | None = None, **message: Any,
) -> dict[str, Any]:
    body = {
        "id": message_id, "author_role": role, "author_id": {"agent": "A-7", "customer": "C-9"}.get(role),
        "public": public, "sent_at": sent_at, "text": text, "language": "zh-CN",
    }
    body.update(message)
    return {
        "event_id": event_id or f"crm-msg-{next(_ids)}",
        "type": "ticket.message_added",
        "occurred_at": sent_at,
        "ticket": ticket or {"id": "T-1001"},
        "message": body,
    }
