"""Surveys, campaigns and ticket events for the campaign tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from csq_common.events import CloudEvent, Customer, TicketClosed, TicketReopened, make_event, sealed_contact
from csq_common.sealing import DEVELOPMENT_PUBLIC_KEY
from survey_svc.campaigns import service as campaigns
from survey_svc.campaigns.schemas import CampaignCreate
from survey_svc.surveys import service as surveys
from survey_svc.surveys.schemas import SurveyDefinition
from tests.surveys.factories import definition

WRITER = {"Authorization": "Bearer writer-key"}
READER = {"Authorization": "Bearer reader-key"}
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
CUSTOMER = {"id": "C-9", "email": "li.lei@example.com", "name": "李雷", "locale": "zh-Hans"}


async def published_survey(session, **overrides: Any) -> str:
    survey = await surveys.create_survey(session, SurveyDefinition.model_validate(definition(**overrides)), author="test")
    await surveys.publish_survey(session, survey.id, author="test")
    return survey.id


async def campaign(session, survey_id: str, **overrides: Any):
    body = {"name": "After close", "survey_id": survey_id, "trigger": "ticket_closed", "delivery": "email", **overrides}
    return await campaigns.create_campaign(session, CampaignCreate.model_validate(body), author="test")


def event_customer(customer: dict | None) -> dict | None:
    """The customer as feedback-svc puts it in ticket events: id, locale, contact sealed for notify-svc."""
    if customer is None:
        return None
    reported = Customer(**customer)
    return {"id": reported.id, "locale": reported.locale, "sealed_contact": sealed_contact(reported, DEVELOPMENT_PUBLIC_KEY)}


def ticket(ticket_id: str = "T-1001", *, closed_at: datetime = T0, customer: dict | None = CUSTOMER, **fields: Any) -> dict:
    body = {
        "id": ticket_id, "customer": event_customer(customer), "agent_id": "A-7", "team_id": "billing", "channel": "email",
        "priority": "normal", "status": "closed", "created_at": (closed_at - timedelta(hours=2)).isoformat(),
        "closed_at": closed_at.isoformat(), "tags": ["refund"],
    }
    body.update(fields)
    return body


def closed(ticket_id: str = "T-1001", *, closed_at: datetime = T0, **fields: Any) -> TicketClosed:
    return TicketClosed.model_validate({"ticket": ticket(ticket_id, closed_at=closed_at, **fields), "occurred_at": closed_at.isoformat()})


def reopened(ticket_id: str = "T-1001", *, at: datetime, closed_at: datetime = T0, **fields: Any) -> TicketReopened:
    snapshot = ticket(ticket_id, closed_at=closed_at, **fields)
    snapshot["status"] = "open"
    return TicketReopened.model_validate({"ticket": snapshot, "occurred_at": at.isoformat()})


def cloud_event(data, *, event_id: str | None = None) -> CloudEvent:
    return make_event(data, source="feedback-svc", subject=data.ticket.id, time=data.occurred_at, event_id=event_id)
