"""Target test helpers: closures fed to the consumer's handler, targets created through the
service, evaluation rounds, and the target events read back from the outbox."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import select

from csq_common.bus.models import OutboxMessage
from csq_common.events import CloudEvent, TicketClosed
from kpi_svc.consumers import handle_events
from kpi_svc.targets import service
from kpi_svc.targets.evaluator import evaluate
from kpi_svc.targets.schemas import TargetCreate
from tests.factories import event, snapshot

ADMIN = {"Authorization": "Bearer admin-key"}
READER = {"Authorization": "Bearer reader-key"}
TOPIC = "csq.kpi"
TARGET_EVENTS = ("kpi.target_breached", "kpi.target_recovered")
_numbers = itertools.count()


def target_body(**changes) -> dict:
    return {"name": "账单组一次解决率不低于 80%", "metric": "fcr_pct", "team_id": "billing", "threshold": 80, "direction": "at_least",
            "window": "today", "tz": "Asia/Shanghai", "min_sample": 5, **changes}


def closure(closed_at: datetime, *, first_contact: bool, team: str = "billing", channel: str = "email") -> CloudEvent:
    """A ticket closed at ``closed_at`` after one contact (first-contact resolution) or two."""
    ticket_id = f"T-{next(_numbers)}"
    created = closed_at - timedelta(minutes=40)
    body = snapshot(ticket_id, team, "A-7", channel, created, subject="发票抬头修改", first_response_at=created + timedelta(minutes=5),
                    resolved_at=closed_at, closed_at=closed_at, contact_count=1 if first_contact else 2, reopen_count=0)
    return event(TicketClosed, body, closed_at)


async def feed(sessions, events) -> None:
    async with sessions() as session:
        await handle_events(session, list(events))
        await session.commit()


async def add_target(sessions, now: datetime, **changes):
    async with sessions() as session:
        target = await service.create_target(session, TargetCreate.model_validate(target_body(**changes)), now=now)
        await session.commit()
    return target


async def run(sessions, now: datetime, read_sessions=None) -> list[str]:
    return await evaluate(sessions, read_sessions or sessions, topic=TOPIC, now=now)


async def target_events(sessions) -> list[tuple[str, str, CloudEvent]]:
    """(topic, key, event) of every target event staged in the outbox, in order."""
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    events = [(row.topic, row.key, CloudEvent.from_bytes(row.payload)) for row in rows]
    return [item for item in events if item[2].type in TARGET_EVENTS]
