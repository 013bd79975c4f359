"""Feedback items as clients send them and as the API returns them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from csq_common.events import FeedbackChannel, FeedbackKind, FeedbackPriority
from csq_common.types import EmailAddress, IdStr, UtcInstant, storable_str
from feedback_svc.classification.schemas import FiredRule, Language
from feedback_svc.feedback.models import FeedbackItem

MAX_ATTACHMENTS = 10
MAX_TEXT_LENGTH = 20_000
#: A received_at further ahead than this is a sender's clock error, refused.
CLOCK_SKEW = timedelta(minutes=5)

Source = storable_str(pattern=r"^[a-z0-9][a-z0-9_.-]{0,49}$")
Tag = storable_str(min_length=1, max_length=50, strip_whitespace=True)


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http or https URL with a host")
    return value


AttachmentUrl = Annotated[storable_str(min_length=1, max_length=2000, strip_whitespace=True), AfterValidator(_http_url)]


class FeedbackCustomer(BaseModel):
    """Who gave the feedback: kept by feedback-svc only, never published."""

    model_config = ConfigDict(extra="forbid")
    id: IdStr | None = None
    name: storable_str(max_length=200) | None = None
    email: EmailAddress | None = None
    phone: storable_str(pattern=r"^\+?[0-9][0-9 ()-]{2,30}$") | None = None


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Source = Field(description="platform it came from: weibo, tmall, jd, hotline-cti, …")
    external_id: IdStr | None = Field(None, description="the platform's id: the same (source, external_id) again is a duplicate")
    kind: FeedbackKind | None = Field(None, description="classified from the text when absent")
    channel: FeedbackChannel
    text: storable_str(min_length=1, max_length=MAX_TEXT_LENGTH)
    rating: int | None = Field(None, ge=1, le=5, description="review stars")
    customer: FeedbackCustomer | None = None
    ticket_id: IdStr | None = None
    team_id: IdStr | None = None
    agent_id: IdStr | None = None
    language: Language | None = Field(None, description="detected (zh-CN or en) when absent")
    attachments: list[AttachmentUrl] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    received_at: UtcInstant | None = Field(None, description="when the customer said it; now when absent")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("received_at")
    @classmethod
    def _not_ahead(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if not 2000 <= value.year <= 2100:
            raise ValueError("must lie between 2000 and now")
        value = value.astimezone(timezone.utc)
        if value > datetime.now(timezone.utc) + CLOCK_SKEW:
            raise ValueError("must not lie in the future")
        return value


class FeedbackPush(FeedbackCreate):
    """What a platform pushes to the signed webhook: its own id is required, so a retried
    delivery is recognised."""

    external_id: IdStr


class FeedbackRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    source: str
    external_id: str | None
    kind: FeedbackKind
    category: str
    predicted_kind: FeedbackKind
    predicted_category: str
    reviewed: bool
    channel: FeedbackChannel
    text: str
    rating: int | None
    language: str
    sentiment: float | None
    severity: int
    priority: FeedbackPriority
    fired_rules: list[FiredRule]
    customer: FeedbackCustomer | None
    ticket_id: str | None
    team_id: str | None
    agent_id: str | None
    attachments: list[str]
    tags: list[str]
    status: str
    assignee_id: str | None
    triaged_at: AwareDatetime | None
    response_due_at: AwareDatetime | None
    resolution_due_at: AwareDatetime | None
    replied_at: AwareDatetime | None
    reply_text: str | None
    resolved_at: AwareDatetime | None
    customer_confirmed: bool | None
    confirmed_at: AwareDatetime | None
    customer_comment: str | None
    reopen_count: int
    received_at: AwareDatetime
    updated_at: AwareDatetime

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, value: Any) -> Any:
        if isinstance(value, FeedbackItem):
            fields = {name: getattr(value, name) for name in cls.model_fields if name != "customer"}
            customer = {"id": value.customer_id, "name": value.customer_name, "email": value.customer_email, "phone": value.customer_phone}
            fields["customer"] = customer if any(v is not None for v in customer.values()) else None
            return fields
        return value


class FeedbackAccepted(FeedbackRead):
    duplicate: bool = False


class FeedbackPage(BaseModel):
    items: list[FeedbackRead]
    next_cursor: str | None


Status = Literal["new", "triaged", "in_progress", "replied", "resolved", "confirmed", "reopened"]
