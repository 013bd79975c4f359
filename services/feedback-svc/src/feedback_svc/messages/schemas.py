"""A ticket message as a CRM sends it (the webhook's ``message``) and as the API lists it."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from csq_common.events import MESSAGE_TEXT_MAX_BYTES, LanguageTag, MessageAuthorRole
from csq_common.types import UtcInstant


class IncomingMessage(BaseModel):
    """One message of a ticket's conversation. ``text`` is plain text of at most 64 KiB of UTF-8
    (checked in bytes by the webhook's rules); ``public`` false is a private (internal) note."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200)
    author_role: MessageAuthorRole
    author_id: str | None = Field(None, max_length=200)
    public: bool
    sent_at: UtcInstant
    text: str = Field(max_length=MESSAGE_TEXT_MAX_BYTES)
    language: LanguageTag | None = None


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ticket_id: str
    message_id: str
    author_role: MessageAuthorRole
    author_id: str | None
    public: bool
    sent_at: AwareDatetime
    channel: str | None
    text: str
    language: str | None
    received_at: AwareDatetime
    erased_at: AwareDatetime | None


class MessagePage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    items: list[MessageRead]
    next_cursor: str | None
