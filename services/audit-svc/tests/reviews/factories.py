"""Reviews as a client sends them, and reading back the audit.completed events staged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from csq_common.bus.models import OutboxMessage
from csq_common.events import CloudEvent
from tests.scorecards.factories import WRITER

TOPIC = "test.audits"  # the topic service-level tests stage events for

# Answers to tests.scorecards.factories.definition(): every category at full marks.
FULL_MARKS = {"greeting": 1, "verify_identity": 1, "accuracy": 5, "empathy": 3, "upsell": 10}


def review_body(scorecard_id: str, answers: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "scorecard_id": scorecard_id,
        "ticket_id": "T-1001",
        "agent_id": "A-7",
        "team_id": "billing",
        "channel": "phone",
        "method": "internal",
        "reviewer_id": "QA-王芳",
        "answers": dict(FULL_MARKS if answers is None else answers),
    }
    body.update(overrides)
    return body


async def submit(client, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/reviews", json=body, headers=WRITER)
    assert response.status_code == 201, response.text
    return response.json()


async def completed_events(sessions) -> list[tuple[str, str, CloudEvent]]:
    """(topic, key, event) of every audit.completed in the outbox, in the order staged."""
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    events = [(row.topic, row.key, CloudEvent.from_bytes(row.payload)) for row in rows]
    return [(topic, key, event) for topic, key, event in events if event.type == "audit.completed"]
