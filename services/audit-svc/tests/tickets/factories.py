"""Ticket closures and survey answers as the consumer receives them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from csq_common.events import CloudEvent, SurveyAnswered, TicketClosed, make_event

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def closed(
    ticket_id: str = "T-1001", *, closed_at: datetime = T0, agent_id: str = "A-7", team_id: str = "billing", **fields: Any
) -> TicketClosed:
    ticket = {
        "id": ticket_id, "agent_id": agent_id, "team_id": team_id, "channel": "email", "priority": "normal",
        "subject": "退款进度", "status": "closed", "created_at": (closed_at - timedelta(hours=2)).isoformat(),
        "first_response_at": (closed_at - timedelta(hours=1, minutes=48)).isoformat(),
        "closed_at": closed_at.isoformat(), "handle_seconds": 540, "reopen_count": 0, "contact_count": 1, "tags": ["refund"],
    }
    ticket.update(fields)
    return TicketClosed.model_validate({"ticket": ticket, "occurred_at": closed_at.isoformat()})


def answered(ticket_id: str = "T-1001", *, response_id: str = "R-1", csat: int | None = 2, nps: int | None = None, at: datetime = T0) -> SurveyAnswered:
    answers = []
    if csat is not None:
        answers.append({"question_id": "q1", "type": "csat", "dimension": "overall", "value": csat, "scale_max": 5})
    if nps is not None:
        answers.append({"question_id": "q2", "type": "nps", "dimension": "overall", "value": nps, "scale_max": 10})
    return SurveyAnswered.model_validate(
        {"survey_id": "S-1", "survey_version": 1, "ticket_id": ticket_id, "agent_id": "A-7", "team_id": "billing",
         "response_id": response_id, "answered_at": at.isoformat(), "response_channel": "web", "answers": answers}
    )


def cloud_event(data, *, event_id: str | None = None) -> CloudEvent:
    subject = data.ticket.id if isinstance(data, TicketClosed) else data.response_id
    time = data.occurred_at if isinstance(data, TicketClosed) else data.answered_at
    return make_event(data, source="test", subject=subject, time=time, event_id=event_id)
