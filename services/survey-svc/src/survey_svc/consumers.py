"""What survey-svc reads: ticket closures make invitations, reopens cancel unsent ones, and
``customer.erased`` (on ``feedback``) removes what survey-svc holds of that customer.

Thin adapter: each event's payload is parsed (a payload that does not validate raises, so the
runner retries and dead-letters it) and handed to the same service functions the tests call.
Other ticket events are only recorded in the inbox.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from csq_common.events import CloudEvent, CustomerErased, TicketClosed, TicketReopened, parse_data
from csq_common.runtime import ConsumerSpec
from survey_svc.campaigns import invite
from survey_svc.customers import service as customers
from survey_svc.settings import Settings


def ticket_handler(settings: Settings):
    async def handle(session: AsyncSession, events: list[CloudEvent]) -> None:
        campaigns = None  # read once per batch, when the batch holds a closure
        for event in events:
            if event.type == TicketClosed.event_type:
                if campaigns is None:
                    campaigns = await invite.active_ticket_campaigns(session)
                await invite.on_ticket_closed(session, settings, parse_data(event), now=utcnow(), campaigns=campaigns)
            elif event.type == TicketReopened.event_type:
                await invite.on_ticket_reopened(session, settings, parse_data(event), now=utcnow())
            elif event.type == CustomerErased.event_type:
                erased: CustomerErased = parse_data(event)
                await customers.erase_customer(session, settings, erased.customer_id, now=utcnow())

    return handle


def consumers(settings: Settings) -> list[ConsumerSpec]:
    return [ConsumerSpec(group="survey-svc", domains=("tickets", "feedback"), handler=ticket_handler(settings))]
