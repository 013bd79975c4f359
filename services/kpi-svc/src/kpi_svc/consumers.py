"""What kpi-svc reads: thin adapters from CloudEvents to the service functions.

``handle_events`` is the batch handler of the ``kpi-svc`` group. kpi-svc reads every ticket event
of the organisation, so its runner decodes envelopes with ``csq_common.decoding.decode_envelope``
(msgspec, the payload left as raw JSON) and ticket payloads with the msgspec mirrors of the
contract's models: the same checks as pydantic, several times faster. Survey payloads, whose
models have validators msgspec cannot mirror, are parsed by pydantic. A payload that fails
validation raises, so the runner isolates it and dead-letters it. Types nobody owns are ignored;
the runner has already recorded them in the inbox (``survey.expired`` is one: it has no KPI
effect). Feedback and audit types are added when their KPIs come.

The handler also takes pydantic ``CloudEvent``s (``data`` already a dict), as the tests pass them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.decoding import decode_envelope, decode_payload
from csq_common.events import TICKET_EVENTS, SurveyAnswered, SurveyInvited
from csq_common.http.app import ConsumerSpec
from kpi_svc.aggregates import service as aggregates
from kpi_svc.aggregates import surveys

SURVEY_EVENTS = {model.event_type: model for model in (SurveyInvited, SurveyAnswered)}


def _pydantic_payload(model, data: Any):
    return model.model_validate(data) if isinstance(data, dict) else model.model_validate_json(bytes(data))


async def handle_events(session: AsyncSession, events: list) -> None:
    tickets: list[aggregates.TicketFact] = []
    survey_payloads = []
    for event in events:
        model = TICKET_EVENTS.get(event.type)
        if model is not None:
            tickets.append((event.type, decode_payload(model, event.data)))
            continue
        model = SURVEY_EVENTS.get(event.type)
        if model is not None:
            survey_payloads.append(_pydantic_payload(model, event.data))
    if tickets:
        await aggregates.apply_ticket_events(session, tickets)
    if survey_payloads:
        await surveys.apply_survey_events(session, survey_payloads)


CONSUMERS = [ConsumerSpec(group="kpi-svc", domains=("tickets", "surveys"), handler=handle_events, decode=decode_envelope)]
