"""What audit-svc reads: ticket closures, messages and survey answers, kept for sampling and for
the transcript a review shows, and ``customer.erased``, which blanks that customer's messages.

Thin adapter: each batch's payloads are parsed (a payload that does not validate raises, so the
runner retries and dead-letters it) and handed to the intake service functions, in the batch's
one transaction. Other ticket, survey and feedback events are only recorded in the inbox.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from csq_common.events import (
    TICKET_SNAPSHOT_EVENTS, CloudEvent, CustomerErased, SurveyAnswered, TicketClosed, TicketMessageAdded, parse_data,
)
from csq_common.runtime import ConsumerSpec
from audit_svc.tickets import service as intake
from audit_svc.tickets import transcripts
from audit_svc.settings import Settings


async def handle_events(session: AsyncSession, events: list[CloudEvent]) -> None:
    now = utcnow()
    snapshots = [parse_data(event) for event in events if event.type in TICKET_SNAPSHOT_EVENTS]
    closures = [data for data in snapshots if isinstance(data, TicketClosed)]
    messages = [parse_data(event) for event in events if event.type == TicketMessageAdded.event_type]
    answers = [parse_data(event) for event in events if event.type == SurveyAnswered.event_type]
    erasures = [parse_data(event) for event in events if event.type == CustomerErased.event_type]
    await intake.record_closures(session, closures)
    await intake.record_answers(session, answers)
    await transcripts.record_customers(session, snapshots, now=now)
    await transcripts.record_messages(session, messages)
    # Erasures last: a message of the same batch written before the erasure is blanked too.
    for erased in erasures:
        await transcripts.erase_customer(session, erased.customer_id, now=now)


def consumers(settings: Settings) -> list[ConsumerSpec]:
    return [ConsumerSpec(group="audit-svc", domains=("tickets", "surveys", "feedback"), handler=handle_events)]
