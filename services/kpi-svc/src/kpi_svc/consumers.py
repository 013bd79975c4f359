"""What kpi-svc reads: thin adapters from CloudEvents to the service functions.

``handle_events`` is the batch handler of the ``kpi-svc`` group. It groups the batch's events by
the service function that owns their type (keeping their order), parses each payload (a payload
that fails validation raises, so the runner isolates it and dead-letters it) and calls each
service function once with all of its events. Types nobody owns are ignored; the runner has
already recorded them in the inbox (``survey.expired`` is one: it has no KPI effect). Feedback and
audit types are added to ``APPLIERS`` when their KPIs come.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import TICKET_EVENTS, CloudEvent, EventData, SurveyAnswered, SurveyInvited, parse_data
from csq_common.http.app import ConsumerSpec
from kpi_svc.aggregates import service as aggregates
from kpi_svc.aggregates import surveys

Applier = Callable[[AsyncSession, Sequence[EventData]], Awaitable[None]]

APPLIERS: dict[str, Applier] = {
    **{event_type: aggregates.apply_ticket_events for event_type in TICKET_EVENTS},
    SurveyInvited.event_type: surveys.apply_survey_events,
    SurveyAnswered.event_type: surveys.apply_survey_events,
}


async def handle_events(session: AsyncSession, events: list[CloudEvent]) -> None:
    grouped: dict[Applier, list[EventData]] = {}
    for event in events:
        applier = APPLIERS.get(event.type)
        if applier is not None:
            grouped.setdefault(applier, []).append(parse_data(event))
    for applier, payloads in grouped.items():
        await applier(session, payloads)


CONSUMERS = [ConsumerSpec(group="kpi-svc", domains=("tickets", "surveys"), handler=handle_events)]
