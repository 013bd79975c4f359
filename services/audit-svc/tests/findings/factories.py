"""Findings, actions and what the outbox holds, for the findings tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from csq_common.bus.models import OutboxMessage
from csq_common.events import CloudEvent

WRITER = {"Authorization": "Bearer writer-key"}
READER = {"Authorization": "Bearer reader-key"}


def finding_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "source": "review", "review_id": "RV-1", "severity": 3, "category": "合规用语",
        "description": "坐席未核实客户身份即透露订单信息", "agent_id": "A-7", "team_id": "billing", "owner_id": "L-1",
        "due_at": "2026-12-20T10:00:00+08:00",
    }
    body.update(overrides)
    return body


async def outbox_events(sessions, event_type: str) -> list[tuple[str, str, CloudEvent]]:
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    events = [(row.topic, row.key, CloudEvent.from_bytes(row.payload)) for row in rows]
    return [item for item in events if item[2].type == event_type]
