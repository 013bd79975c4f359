"""Request and response shapes of /v1/sla-policies and /v1/sla/open."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from csq_common.types import storable_str

Label = storable_str(min_length=1, max_length=50)
Tag = storable_str(min_length=1, max_length=200)
#: Targets from one second to a year.
Seconds = Field(ge=1, le=366 * 86400)


class PolicyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "投诉工单 高优先级", "priorities": ["high", "urgent"], "tags": ["complaint"], "first_response_seconds": 1800,
        "next_response_seconds": 3600, "resolution_seconds": 28800, "business_hours": True,
        "paused_statuses": ["pending", "on_hold"],
    }]})

    name: storable_str(strip_whitespace=True, min_length=1, max_length=200)
    priorities: list[Label] = Field(default_factory=list, max_length=50, description="Ticket priorities it covers; empty: any")
    tags: list[Tag] = Field(default_factory=list, max_length=100, description="It covers a ticket with any of these tags; empty: any")
    first_response_seconds: int = Seconds
    next_response_seconds: int | None = Field(None, ge=1, le=366 * 86400)
    resolution_seconds: int = Seconds
    business_hours: bool = Field(True, description="Count in the business hours of the ticket's team calendar (else the default)")
    paused_statuses: list[Label] = Field(default_factory=lambda: ["pending", "on_hold"], max_length=50)


class PolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    priorities: list[str]
    tags: list[str]
    first_response_seconds: int
    next_response_seconds: int | None
    resolution_seconds: int
    business_hours: bool
    paused_statuses: list[str]
    created_at: datetime
    revision: int = Field(description="1 when created, one more at each change")
    updated_at: datetime | None = Field(description="The latest change; null if never changed")


class PolicyPage(BaseModel):
    items: list[PolicyRead]
    next_cursor: str | None


class OpenTimer(BaseModel):
    ticket_id: str
    metric: str = Field(description="first_response, next_response or resolution")
    policy_id: str
    priority: str | None
    team_id: str | None
    agent_id: str | None
    channel: str | None
    business_hours: bool
    started_at: datetime
    due_at: datetime
    seconds_left: float = Field(description="Wall-clock seconds until due_at; negative once breached")


class OpenTimerPage(BaseModel):
    items: list[OpenTimer]
    next_cursor: str | None
