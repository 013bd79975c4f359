"""Request and response shapes of /v1/campaigns and /v1/invitations (shape only; the rules that
relate fields to the database, e.g. the survey's published versions, are in service.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer, model_validator

from csq_common.types import EmailAddress, UtcInstant, storable_str

Trigger = Literal["ticket_closed", "explicit"]
Delivery = Literal["email", "link"]
CampaignStatus = Literal["active", "paused", "ended"]
InvitationStatus = Literal["scheduled", "sent", "answered", "expired", "cancelled"]

DAY = 86_400
MAX_DELAY = 30 * DAY
MIN_EXPIRY, MAX_EXPIRY = 3_600, 90 * DAY
MAX_RECIPIENTS = 1000
MAX_TICKET_AGE = 365 * DAY

Name = storable_str(strip_whitespace=True, min_length=1, max_length=200)
Value = storable_str(min_length=1, max_length=200)
SamplingRate = Annotated[Decimal, Field(gt=0, le=1, max_digits=5, decimal_places=4, description="0 < rate ≤ 1, at most 4 decimals; a number or a string")]


def rate_text(rate: Decimal) -> str:
    """``Decimal('0.2500')`` → ``"0.25"``: the rate as an exact string, always the same form."""
    return format(rate.normalize(), "f")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Filters(_Strict):
    """Which closed tickets a campaign takes; an empty list means any. Every non-empty list
    must match (tags: at least one tag in common)."""

    team_ids: list[Value] = Field(default_factory=list, max_length=500)
    channels: list[Value] = Field(default_factory=list, max_length=100)
    priorities: list[Value] = Field(default_factory=list, max_length=100)
    tags: list[Value] = Field(default_factory=list, max_length=500)


class _Rules(_Strict):
    delay_seconds: int = Field(3600, ge=0, le=MAX_DELAY)
    sampling_rate: SamplingRate = Decimal(1)
    throttle_days: int = Field(30, ge=0, le=365)
    expiry_seconds: int = Field(7 * DAY, ge=MIN_EXPIRY, le=MAX_EXPIRY)
    reminder_after_seconds: int | None = Field(None, ge=1, le=MAX_EXPIRY)
    max_ticket_age_seconds: int = Field(
        7 * DAY, ge=60, le=MAX_TICKET_AGE, description="a ticket closed longer ago than this when its closure is read gets no invitation (replayed CRM history)"
    )


class CampaignCreate(_Rules):
    name: Name
    survey_id: storable_str(min_length=1, max_length=36)
    survey_version: int | None = Field(None, ge=1, le=2_147_483_647, description="null: the latest published version when each invitation is created")
    trigger: Trigger
    filters: Filters = Field(default_factory=Filters)
    delivery: Delivery
    anonymous: bool = False


class CampaignPatch(_Strict):
    """PATCH: the given fields replace the campaign's; survey, trigger, delivery and anonymity
    are fixed at creation (invitations already made depend on them)."""

    name: Name | None = None
    survey_version: int | None = Field(None, ge=1, le=2_147_483_647)
    filters: Filters | None = None
    delay_seconds: int | None = Field(None, ge=0, le=MAX_DELAY)
    sampling_rate: SamplingRate | None = None
    throttle_days: int | None = Field(None, ge=0, le=365)
    expiry_seconds: int | None = Field(None, ge=MIN_EXPIRY, le=MAX_EXPIRY)
    reminder_after_seconds: int | None = Field(None, ge=1, le=MAX_EXPIRY)
    max_ticket_age_seconds: int | None = Field(None, ge=60, le=MAX_TICKET_AGE)
    status: CampaignStatus | None = None


class CampaignRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    survey_id: str
    survey_version: int | None
    trigger: Trigger
    filters: Filters
    delivery: Delivery
    delay_seconds: int
    sampling_rate: Decimal = Field(description="exact, as a string, e.g. \"0.25\"")
    throttle_days: int
    expiry_seconds: int
    reminder_after_seconds: int | None
    max_ticket_age_seconds: int
    anonymous: bool
    status: CampaignStatus
    created_at: AwareDatetime
    updated_at: AwareDatetime

    @field_serializer("sampling_rate")
    def _rate(self, rate: Decimal) -> str:
        return rate_text(rate)


class CampaignPage(BaseModel):
    items: list[CampaignRead]
    next_cursor: str | None


# ---- invitations ----------------------------------------------------------------------------


class RecipientCustomer(_Strict):
    id: Value | None = None
    email: EmailAddress | None = None
    name: storable_str(max_length=200) | None = None
    locale: storable_str(max_length=35) | None = None


class Recipient(_Strict):
    customer: RecipientCustomer
    external_id: Value | None = Field(None, description="the client's id for this recipient: a retry with it returns the first invitation")
    ticket_id: Value | None = None
    team_id: Value | None = None
    agent_id: Value | None = None
    channel: storable_str(min_length=1, max_length=50) | None = None


class RecipientsCreate(_Strict):
    recipients: list[Recipient] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    send_at: UtcInstant | None = Field(None, description="when to send; omitted or past: at the scheduler's next tick")

    @model_validator(mode="after")
    def _unique_external_ids(self) -> "RecipientsCreate":
        seen: dict[str, int] = {}
        for index, recipient in enumerate(self.recipients):
            if recipient.external_id is not None:
                if recipient.external_id in seen:
                    raise ValueError(f"recipients[{index}].external_id repeats recipients[{seen[recipient.external_id]}]")
                seen[recipient.external_id] = index
        return self


class RecipientResult(BaseModel):
    """One recipient's outcome: an invitation, or why none was made."""

    invitation_id: str | None = None
    status: InvitationStatus | None = None
    send_at: AwareDatetime | None = None
    link: str | None = None
    existing: bool | None = None
    skipped: Literal["throttled", "no_email"] | None = None


class RecipientsResult(BaseModel):
    results: list[RecipientResult]


class InvitationLink(BaseModel):
    link: str
    expires_at: AwareDatetime | None = Field(description="null while the invitation is still scheduled")


class InvitationRead(BaseModel):
    """An invitation; its token and sealed message are never shown, and survey-svc knows no email
    or name to show (the contact is sealed for notify-svc)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str
    survey_id: str
    survey_version: int
    status: InvitationStatus
    delivery: Delivery
    locale: str
    anonymous: bool
    external_id: str | None
    ticket_id: str | None
    ticket_closed_at: AwareDatetime | None
    team_id: str | None
    agent_id: str | None
    channel: str | None
    customer_id: str | None
    send_at: AwareDatetime
    invited_at: AwareDatetime | None
    expires_at: AwareDatetime | None
    reminder_due_at: AwareDatetime | None
    reminded_at: AwareDatetime | None
    answered_at: AwareDatetime | None
    expired_at: AwareDatetime | None
    cancelled_at: AwareDatetime | None
    cancel_reason: str | None
    created_at: AwareDatetime


class InvitationPage(BaseModel):
    items: list[InvitationRead]
    next_cursor: str | None
