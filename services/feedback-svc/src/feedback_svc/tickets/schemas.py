from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from csq_common.events import Customer, TicketFields
from csq_common.types import UtcInstant
from feedback_svc.tickets.models import Ticket


class ReportedTicket(TicketFields):
    """A ticket as the CRM reports it (the webhook's ``ticket``): with the customer's email and
    name, which feedback-svc keeps and never publishes readable (see ``service.event_ticket``)."""

    created_at: UtcInstant
    first_response_at: UtcInstant | None = None
    resolved_at: UtcInstant | None = None
    closed_at: UtcInstant | None = None
    customer: Customer | None = None


class TicketRead(BaseModel):
    """A ticket as last reported by the CRM, in the webhook's own shape plus bookkeeping."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    customer: Customer | None
    agent_id: str | None
    team_id: str | None
    channel: str | None
    priority: str | None
    subject: str | None
    status: str | None
    created_at: AwareDatetime
    first_response_at: AwareDatetime | None
    resolved_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    handle_seconds: float | None
    reopen_count: int
    contact_count: int
    tags: list[str]
    last_event_at: AwareDatetime
    last_event_type: str
    updated_at: AwareDatetime

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, value: Any) -> Any:
        if isinstance(value, Ticket):
            fields = {name: getattr(value, name) for name in cls.model_fields if name != "customer"}
            customer = {
                "id": value.customer_id, "email": value.customer_email,
                "name": value.customer_name, "locale": value.customer_locale,
            }
            fields["customer"] = customer if any(v is not None for v in customer.values()) else None
            return fields
        return value


class TicketPage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    items: list[TicketRead]
    next_cursor: str | None
