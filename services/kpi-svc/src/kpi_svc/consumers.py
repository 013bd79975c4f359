"""What kpi-svc reads: thin adapters from CloudEvents to the service functions.

``handle_events`` is the batch handler of the ``kpi-svc`` group. kpi-svc reads every ticket event
of the organisation, so its runner decodes records with msgspec (``kpi_svc.decoding``): a ticket
event, envelope and payload, in one pass against the mirror of the contract's models (the same
checks as pydantic, several times faster); any other record's payload is left raw by the runner
and checked here by its own model. Survey payloads, whose
models have validators msgspec cannot mirror, are parsed by pydantic. A payload that fails
validation raises, so the runner isolates it and dead-letters it. Types nobody owns are ignored;
the runner has already recorded them in the inbox (``survey.expired`` is one: it has no KPI
effect). Feedback (``feedback.received``, ``feedback.resolved``, ``feedback.reclassified``),
audit (``audit.completed``, ``audit.auto_scored``) and call (``call.completed``) payloads are parsed by pydantic too and
counted by kpi_svc.voice.apply.

The handler also takes pydantic ``CloudEvent``s (``data`` already a dict), as the tests pass them.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import (
    TICKET_SNAPSHOT_EVENTS,
    AuditAutoScored,
    AuditCompleted,
    CallCompleted,
    CustomerErased,
    FeedbackReceived,
    FeedbackReclassified,
    FeedbackResolved,
    SurveyAnswered,
    SurveyInvited,
    TicketEvent,
    TicketMessageAdded,
)
from csq_common.runtime import ConsumerSpec
from kpi_svc.aggregates import service as aggregates
from kpi_svc.aggregates import surveys
from kpi_svc.conversations import contacts, messages as conversation_messages
from kpi_svc.decoding import decode_payload, envelope_decoder
from kpi_svc.settings import Settings
from kpi_svc.sla import timers as sla_timers
from kpi_svc.voice import apply as voice

SURVEY_EVENTS = {model.event_type: model for model in (SurveyInvited, SurveyAnswered)}
VOICE_EVENTS = {
    model.event_type: model
    for model in (FeedbackReceived, FeedbackResolved, FeedbackReclassified, AuditCompleted, AuditAutoScored, CallCompleted)
}


def _shape(model) -> dict:
    return {name: (info.annotation, info.metadata, info.default) for name, info in model.model_fields.items()}


# Every snapshot-carrying ticket event type has TicketEvent's payload, so one mirror decodes them
# all. Other types on csq.tickets (``ticket.message_added``) are decoded as envelopes only, their
# payload by its own mirror below (next response, kpi_svc.conversations.messages).
if any(_shape(model) != _shape(TicketEvent) for model in TICKET_SNAPSHOT_EVENTS.values()):  # pragma: no cover - contract guard
    raise TypeError("a ticket event type has its own payload fields: decode it with its own model")
decode_record = envelope_decoder(TicketEvent, frozenset(TICKET_SNAPSHOT_EVENTS))


def _pydantic_payload(model, data: Any):
    return model.model_validate(data) if isinstance(data, dict) else model.model_validate_json(bytes(data))


async def handle_events(
    session: AsyncSession, events: list, *, call_service_level: timedelta = voice.DEFAULT_SERVICE_LEVEL
) -> None:
    tickets: list[aggregates.TicketFact] = []
    survey_payloads = []
    messages = []
    erased = []
    voice_payloads = []
    for event in events:
        if event.type in TICKET_SNAPSHOT_EVENTS:
            tickets.append((event.type, decode_payload(TicketEvent, event.data)))
            continue
        if event.type == TicketMessageAdded.event_type:
            messages.append(decode_payload(TicketMessageAdded, event.data))
            continue
        if event.type == CustomerErased.event_type:
            erased.append(_pydantic_payload(CustomerErased, event.data).customer_id)
            continue
        model = SURVEY_EVENTS.get(event.type)
        if model is not None:
            survey_payloads.append(_pydantic_payload(model, event.data))
            continue
        model = VOICE_EVENTS.get(event.type)
        if model is not None:
            voice_payloads.append(_pydantic_payload(model, event.data))
    if tickets:
        await aggregates.apply_ticket_events(session, tickets)
        await sla_timers.apply_ticket_events(session, [fact for fact in tickets if fact[0] in sla_timers.CLOCK_EVENTS])
    if messages:  # after the ticket events: the replies' team comes from the latest snapshot
        await conversation_messages.apply_messages(session, messages)
    if survey_payloads:
        await surveys.apply_survey_events(session, survey_payloads)
    if erased:
        await contacts.erase_customers(session, erased)
    if voice_payloads:
        await voice.apply_voice_events(session, voice_payloads, service_level=call_service_level)


def consumers(settings: Settings) -> list[ConsumerSpec]:
    handler = partial(handle_events, call_service_level=timedelta(seconds=settings.call_service_level_seconds))
    return [
        ConsumerSpec(
            group="kpi-svc", domains=("tickets", "surveys", "feedback", "audits", "calls"), handler=handler,
            decode=decode_record,
        )
    ]
