"""The generic ticket webhook body (README.md "Try it", docs/operations.md "Signing webhooks in code") and its answer.

Two shapes share the route, told apart by ``type``: a ticket lifecycle event carrying the
ticket's snapshot (:class:`TicketWebhook`), and ``ticket.message_added`` carrying one message
(:class:`MessageWebhook`), whose ``ticket`` needs only its ``id``.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, TypeAdapter, ValidationError

from csq_common.http.problems import validation_errors
from csq_common.types import UtcInstant, check_email
from csq_common.events import MESSAGE_TEXT_MAX_BYTES
from feedback_svc.messages.schemas import IncomingMessage
from feedback_svc.tickets.schemas import ReportedTicket
from feedback_svc.webhooks.errors import InvalidPayload

WebhookType = Literal["ticket.created", "ticket.assigned", "ticket.resolved", "ticket.closed", "ticket.reopened"]

# Bounds that keep a valid payload storable on both databases and publishable as one Kafka record.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)
MAX_COUNT = 2**31 - 1
MAX_HANDLE_SECONDS = 10 * 365 * 24 * 3600
MAX_TAGS = 100
MAX_TAG_LENGTH = 200


class TicketWebhook(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=200)
    type: WebhookType
    occurred_at: UtcInstant
    ticket: ReportedTicket


class MessageTicket(BaseModel):
    """The ticket of a ``ticket.message_added``: its ``id`` is the minimum. ``channel``, when
    given, is the channel the message event carries (else the stored ticket's); the other ticket
    fields may be sent as in any event and are ignored: a ticket's state comes from its lifecycle
    events."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200)
    channel: str | None = Field(None, max_length=50)


class MessageWebhook(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=200)
    type: Literal["ticket.message_added"]
    occurred_at: UtcInstant
    ticket: MessageTicket
    message: IncomingMessage


#: What the route accepts: the shape is chosen by ``type`` before anything else is checked.
AnyWebhook = Annotated[TicketWebhook | MessageWebhook, Field(discriminator="type")]
_ANY_WEBHOOK: TypeAdapter[TicketWebhook | MessageWebhook] = TypeAdapter(AnyWebhook)


class TicketWebhookBody(RootModel[AnyWebhook]):
    """The route's body as OpenAPI documents it (either shape, by ``type``)."""
_TAGS = frozenset(TicketWebhook.model_fields["type"].annotation.__args__) | {"ticket.message_added"}


class WebhookAccepted(BaseModel):
    accepted: bool = True
    duplicate: bool
    event_id: str
    ticket_id: str


def parse(raw: bytes) -> TicketWebhook | MessageWebhook:
    """Validate the raw body (the signature covers these exact bytes); 422s name the field.

    Strings need no ``StorableStr`` here: the JSON parser refuses an escaped lone surrogate, and
    the NUL check below runs only when the raw body holds an escaped NUL (the hot path)."""
    try:
        payload = _ANY_WEBHOOK.validate_json(raw)
    except ValidationError as exc:
        raise InvalidPayload(validation_errors(_untagged(exc.errors()))) from None
    # A NUL can only reach a parsed string as the JSON escape \u0000: skip the string walk when
    # the raw body cannot contain one (the common case).
    if isinstance(payload, MessageWebhook):
        errors = message_rule_errors(payload, may_contain_nul=b"\\u0000" in raw)
    else:
        errors = rule_errors(payload, may_contain_nul=b"\\u0000" in raw)
    if errors:
        raise InvalidPayload(errors)
    return payload


def _untagged(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The errors as the chosen shape's own: without the union's tag in front of each location,
    and a missing or unknown ``type`` named as the field ``type``."""
    for error in errors:
        loc = error.get("loc", ())
        if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            error["loc"] = ("type",)
        elif loc and loc[0] in _TAGS:
            error["loc"] = loc[1:]
    return errors


def message_rule_errors(payload: MessageWebhook, *, may_contain_nul: bool = True) -> list[dict[str, str]]:
    """What the schema cannot say of a message: NULs, the text's size in bytes, time bounds."""
    errors: list[dict[str, str]] = []
    if may_contain_nul:
        for field, value in _strings(payload.model_dump(), ""):
            if "\x00" in value:
                errors.append({"field": field, "message": "must not contain NUL characters"})
    if len(payload.message.text.encode()) > MESSAGE_TEXT_MAX_BYTES:
        errors.append({"field": "message.text", "message": f"must be at most {MESSAGE_TEXT_MAX_BYTES} bytes of UTF-8"})
    for field, value in (("occurred_at", payload.occurred_at), ("message.sent_at", payload.message.sent_at)):
        if not EARLIEST <= value < LATEST:
            errors.append({"field": field, "message": f"must lie between {EARLIEST.year} and {LATEST.year}"})
    return errors


def rule_errors(payload: TicketWebhook, *, may_contain_nul: bool = True) -> list[dict[str, str]]:
    """What the schema cannot say: the event type's required timestamps, their order, bounds.

    ``may_contain_nul=False`` (the caller saw no ``\\u0000`` in the raw JSON) skips the NUL scan.
    """
    ticket = payload.ticket
    errors: list[dict[str, str]] = []

    def error(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    if may_contain_nul:
        for field, value in _strings(payload.model_dump(), ""):
            if "\x00" in value:
                error(field, "must not contain NUL characters")
    if ticket.customer is not None and ticket.customer.email is not None:
        try:
            check_email(ticket.customer.email)
        except ValueError as exc:
            error("ticket.customer.email", str(exc))
    stamps = {
        "occurred_at": payload.occurred_at,
        "ticket.created_at": ticket.created_at,
        "ticket.first_response_at": ticket.first_response_at,
        "ticket.resolved_at": ticket.resolved_at,
        "ticket.closed_at": ticket.closed_at,
    }
    for field, value in stamps.items():
        if value is not None and not EARLIEST <= value < LATEST:
            error(field, f"must lie between {EARLIEST.year} and {LATEST.year}")
    if payload.type == "ticket.resolved" and ticket.resolved_at is None:
        error("ticket.resolved_at", "is required for a ticket.resolved event")
    if payload.type == "ticket.closed" and ticket.closed_at is None:
        error("ticket.closed_at", "is required for a ticket.closed event")
    for field in ("ticket.first_response_at", "ticket.resolved_at", "ticket.closed_at"):
        value = stamps[field]
        if value is not None and value < ticket.created_at:
            error(field, "must not precede ticket.created_at")
    if ticket.handle_seconds is not None and not (
        math.isfinite(ticket.handle_seconds) and ticket.handle_seconds <= MAX_HANDLE_SECONDS
    ):
        error("ticket.handle_seconds", f"must be a finite number of seconds up to {MAX_HANDLE_SECONDS}")
    for field in ("reopen_count", "contact_count"):
        if getattr(ticket, field) > MAX_COUNT:
            error(f"ticket.{field}", f"must be at most {MAX_COUNT}")
    if len(ticket.tags) > MAX_TAGS:
        error("ticket.tags", f"must hold at most {MAX_TAGS} tags")
    for index, tag in enumerate(ticket.tags):
        if len(tag) > MAX_TAG_LENGTH:
            error(f"ticket.tags[{index}]", f"must be at most {MAX_TAG_LENGTH} characters")
    return errors


def _strings(value: Any, path: str):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
