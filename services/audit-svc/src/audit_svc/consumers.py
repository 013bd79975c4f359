"""What audit-svc reads: ticket and survey events (closed tickets, messages, CSAT answers) for
sampling and reviews. For now each event is only recorded in the inbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import CloudEvent
from csq_common.runtime import ConsumerSpec


async def record_only(session: AsyncSession, events: list[CloudEvent]) -> None:
    """The inbox claim made by the runner is the whole effect for now."""


CONSUMERS = [ConsumerSpec(group="audit-svc", domains=(("tickets", "surveys")), handler=record_only)]
