"""What audit-svc reads: ticket closures and survey answers, kept for sampling.

Thin adapter: each batch's payloads are parsed (a payload that does not validate raises, so the
runner retries and dead-letters it) and handed to the intake service functions, in the batch's
one transaction. Other ticket and survey events are only recorded in the inbox.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import CloudEvent, SurveyAnswered, TicketClosed, parse_data
from csq_common.runtime import ConsumerSpec
from audit_svc.tickets import service as intake
from audit_svc.settings import Settings


async def handle_events(session: AsyncSession, events: list[CloudEvent]) -> None:
    closures = [parse_data(event) for event in events if event.type == TicketClosed.event_type]
    answers = [parse_data(event) for event in events if event.type == SurveyAnswered.event_type]
    await intake.record_closures(session, closures)
    await intake.record_answers(session, answers)


def consumers(settings: Settings) -> list[ConsumerSpec]:
    return [ConsumerSpec(group="audit-svc", domains=("tickets", "surveys"), handler=handle_events)]
