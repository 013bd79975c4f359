"""Webhook bodies as a CRM sends them (the README's example), overridable per test."""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count(1)


def ticket_event(
    type: str = "ticket.created", *, event_id: str | None = None, occurred_at: str = "2026-11-20T08:00:00Z",
    **ticket: Any,
) -> dict[str, Any]:
    snapshot = {
        "id": "T-1001",
        "customer": {"id": "C-9", "email": "li.lei@example.com", "name": "李雷", "locale": "zh-CN"},
        "agent_id": "A-7",
        "team_id": "billing",
        "channel": "email",
        "priority": "normal",
        "subject": "退款进度",
        "status": "open",
        "created_at": "2026-11-20T08:00:00Z",
        "first_response_at": None,
        "resolved_at": None,
        "closed_at": None,
        "handle_seconds": None,
        "reopen_count": 0,
        "contact_count": 1,
        "tags": ["refund"],
    }
    snapshot.update(ticket)
    return {
        "event_id": event_id or f"crm-{next(_ids)}",
        "type": type,
        "occurred_at": occurred_at,
        "ticket": snapshot,
    }


def closed_event(**overrides: Any) -> dict[str, Any]:
    """The example: a ticket closed at 10:00 after a first response at 08:12."""
    values: dict[str, Any] = {
        "occurred_at": "2026-11-20T10:00:00Z",
        "status": "closed",
        "first_response_at": "2026-11-20T08:12:00Z",
        "resolved_at": "2026-11-20T09:40:00Z",
        "closed_at": "2026-11-20T10:00:00Z",
        "handle_seconds": 540,
    }
    values.update(overrides)
    return ticket_event("ticket.closed", **values)
