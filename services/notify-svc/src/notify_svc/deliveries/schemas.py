from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from csq_common.types import EmailAddress, IdStr, StorableStr
from notify_svc.deliveries.templates import Locale, TemplateName

class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    name: StorableStr | None = Field(None, max_length=200)

    @field_validator("name")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and re.search(r"[\x00-\x1f\x7f]", value):
            raise ValueError("must not contain control characters (line breaks included)")
        return value or None


class DeliveryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["email"]
    to: Recipient
    locale: Locale
    template: TemplateName
    variables: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: IdStr


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    idempotency_key: str
    channel: str
    to: Recipient | None = Field(description="null once the content is cleared (retention or erasure)")
    locale: str
    template: str
    subject: str | None = Field(description="null once the content is cleared (retention or erasure)")
    message_id: str
    status: Literal["queued", "sending", "delivered", "failed"]
    attempts: int
    last_error: str | None
    next_attempt_at: AwareDatetime | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    delivered_at: AwareDatetime | None
    failed_at: AwareDatetime | None

    @classmethod
    def from_row(cls, row) -> "DeliveryRead":
        fields = {name: getattr(row, name) for name in cls.model_fields if name != "to"}
        cleared = row.recipient_email is None
        fields["to"] = None if cleared else Recipient.model_construct(email=row.recipient_email, name=row.recipient_name)
        return cls(**fields)


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None
