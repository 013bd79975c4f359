"""What audit-svc reads. For now it records each event in its inbox and does nothing else;
invitation delivery and escalations arrive with their issues."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import CloudEvent
from csq_common.runtime import ConsumerSpec
from audit_svc.settings import Settings


async def record_only(session: AsyncSession, events: list[CloudEvent]) -> None:
    """The inbox claim made by the runner is the whole effect for now."""


def consumers(settings: Settings) -> list[ConsumerSpec]:
    return [ConsumerSpec(group="audit-svc", domains=("tickets", "surveys"), handler=record_only)]
