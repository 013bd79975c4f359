from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from notify_svc.deliveries.templates import Locale, TemplateName

# Deliberately plain: one @, a dot-atom local part, a domain of DNS labels (IDN as its Unicode
# form is accepted). Deliverability is the SMTP server's to judge.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?$", re.UNICODE)


def check_email(value: str) -> str:
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or len(local) > 64 or len(value) > 320:
        raise ValueError("must be an email address like name@example.com")
    if not _LOCAL.match(local):
        raise ValueError("has characters not allowed before the @ of an email address")
    labels = domain.rstrip(".").split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("has no valid domain after the @ (e.g. example.com)")
    return value


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    name: str | None = Field(None, max_length=200)

    _email = field_validator("email")(check_email)

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
    idempotency_key: str = Field(min_length=1, max_length=200)


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
