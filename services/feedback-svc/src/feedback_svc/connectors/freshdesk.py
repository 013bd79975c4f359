"""Freshdesk: automation-rule webhooks (the ``freshdesk_webhook`` envelope).

Freshdesk signs nothing: the automation rule sends HTTP Basic credentials, compared here in
constant time against ``FEEDBACK_FRESHDESK_BASIC_AUTH`` (``user:password``, comma-separated for
rotation). The payload carries no event time, so the receipt time is used; ``triggered_event``
(``{status:{from:2,to:4}}``) says what changed, with Freshdesk's numeric codes.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from feedback_svc.connectors import mapping
from feedback_svc.connectors.mapping import MessageRecord, VendorChange, collect, unmappable
from feedback_svc.connectors.signing import json_object, matches_any, required_header
from feedback_svc.settings import Settings
from feedback_svc.webhooks.errors import SignatureMismatch

SOURCE = "freshdesk"
AUTHORIZATION_HEADER = "Authorization"

STATUS_CODES = {2: "open", 3: "pending", 4: "resolved", 5: "closed", 6: "pending", 7: "on_hold"}
STATUSES = {
    "open": "open", "pending": "pending", "resolved": "resolved", "closed": "closed",
    "waiting_on_customer": "pending", "waiting_on_third_party": "on_hold",
}
PRIORITY_CODES = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
SOURCE_CODES = {
    1: "email", 2: "web", 3: "phone", 4: "social", 5: "social", 6: "social", 7: "chat", 8: "web", 9: "web",
    10: "email", 11: "other", 12: "chat", 13: "messaging",
}

_TRIGGERED = re.compile(r"^\{\s*([a-z_]+)\s*:\s*(.*)\}$", re.DOTALL)


class FreshdeskTicket(BaseModel):
    model_config = ConfigDict(extra="allow")

    ticket_id: int | str = Field(examples=[4821])
    triggered_event: str | None = Field(None, examples=["{status:{from:2,to:4}}"])
    ticket_subject: str | None = None
    ticket_status: int | str | None = Field(None, examples=["Resolved", 4])
    ticket_priority: int | str | None = Field(None, examples=["High", 3])
    ticket_source: int | str | None = Field(None, examples=["Email", 1])
    ticket_group_name: str | None = None
    ticket_agent_name: str | None = None
    ticket_agent_email: str | None = None
    ticket_tags: str | None = None
    requester_name: str | None = None
    requester_email: str | None = None


class FreshdeskWebhook(BaseModel):
    """The body of a Freshdesk automation rule's "Trigger webhook" action (see docs/connectors.md)."""

    model_config = ConfigDict(extra="allow")

    freshdesk_webhook: FreshdeskTicket


def credentials(settings: Settings) -> tuple[str, ...]:
    return settings.freshdesk_credentials


def authorization(credential: str) -> str:
    """The ``Authorization`` header Freshdesk sends for ``user:password`` (and the tests send)."""
    return "Basic " + base64.b64encode(credential.encode()).decode()


def _presented(headers: Mapping[str, str]) -> bytes:
    value = required_header(headers, AUTHORIZATION_HEADER)
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise SignatureMismatch(f"{AUTHORIZATION_HEADER} must be HTTP Basic credentials")
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureMismatch(f"{AUTHORIZATION_HEADER}: Basic credentials must be base64") from None


def check_headers(headers: Mapping[str, str], *, now: float) -> None:
    _presented(headers)


def verify(headers: Mapping[str, str], body: bytes, *, secrets: Sequence[str], now: float) -> None:
    matches_any(_presented(headers), [secret.encode() for secret in secrets])


def triggered_event(value: Any) -> tuple[str | None, Any]:
    """``"{status:{from:2,to:4}}"`` → ``("status", {"from": "2", "to": "4"})``;
    ``"{reply_sent:sent}"`` → ``("reply_sent", "sent")``."""
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        raise unmappable("freshdesk_webhook.triggered_event", "must be a string like {status:{from:2,to:4}}")
    found = _TRIGGERED.match(value.strip())
    if not found:
        raise unmappable("freshdesk_webhook.triggered_event", "must look like {status:{from:2,to:4}}")
    key, rest = found.group(1), found.group(2).strip()
    if rest.startswith("{") and rest.endswith("}"):
        parts = {}
        for item in rest[1:-1].split(","):
            name, _, part = item.partition(":")
            parts[name.strip()] = part.strip()
        return key, parts
    return key, rest


def _status(value: Any, field_name: str) -> str:
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        code = int(value)
        if code < 2:
            raise unmappable(field_name, f"unknown status code {code}")
        return STATUS_CODES.get(code, "pending")  # custom statuses (8 and up) keep the ticket open
    return mapping.status(value, STATUSES, field_name=field_name)


def _channel(value: Any) -> str | None:
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return SOURCE_CODES.get(int(value), "other")
    return mapping.channel(value)


def parse(body: bytes, headers: Mapping[str, str], *, received_at: datetime) -> VendorChange:
    payload = json_object(body)
    envelope = payload.get("freshdesk_webhook")
    if not isinstance(envelope, dict):
        raise unmappable("freshdesk_webhook", "is required: the automation rule's JSON body")
    p = "freshdesk_webhook"

    def given(name: str) -> bool:
        return envelope.get(name) not in (None, "")

    steps = {
        "status": lambda: _status(envelope["ticket_status"], f"{p}.ticket_status"),
        "priority": lambda: mapping.priority(envelope["ticket_priority"], field_name=f"{p}.ticket_priority", codes=PRIORITY_CODES),
        "channel": lambda: _channel(envelope["ticket_source"]),
        "team_id": lambda: mapping.optional_text(envelope["ticket_group_name"], field_name=f"{p}.ticket_group_name", max_length=200),
        "agent_id": lambda: mapping.optional_text(envelope["ticket_agent_email"], field_name=f"{p}.ticket_agent_email", max_length=200),
        "subject": lambda: mapping.optional_text(envelope["ticket_subject"], field_name=f"{p}.ticket_subject", max_length=1000),
        "tags": lambda: mapping.tags(envelope["ticket_tags"], field_name=f"{p}.ticket_tags", separator=","),
    }
    names = [name for name in steps if given({
        "status": "ticket_status", "priority": "ticket_priority", "channel": "ticket_source",
        "team_id": "ticket_group_name", "agent_id": "ticket_agent_email", "subject": "ticket_subject",
        "tags": "ticket_tags",
    }[name])]
    # An assignee or group removed renders as an empty placeholder: state it as none.
    ticket, (event_key, event_value), customer, *values = collect(
        lambda: mapping.ticket_id(SOURCE, envelope.get("ticket_id"), field_name=f"{p}.ticket_id"),
        lambda: triggered_event(envelope.get("triggered_event")),
        lambda: mapping.customer(
            SOURCE, vendor_id=envelope.get("requester_id"), email=envelope.get("requester_email"),
            name=envelope.get("requester_name"), locale=envelope.get("requester_language"), field_prefix=f"{p}.requester",
        ),
        *(steps[name] for name in names),
    )
    fields = dict(zip(names, values))
    for name, placeholder in (("agent_id", "ticket_agent_email"), ("team_id", "ticket_group_name")):
        if placeholder in envelope and name not in fields:
            fields[name] = None
    if customer is not None:
        fields["customer"] = customer
    if event_key == "status" and isinstance(event_value, dict) and event_value.get("to"):
        fields["status"] = _status(event_value["to"], f"{p}.triggered_event")
    if event_key == "priority" and isinstance(event_value, dict) and event_value.get("to"):
        fields["priority"] = mapping.priority(event_value["to"], field_name=f"{p}.triggered_event", codes=PRIORITY_CODES)
    delivery = mapping.body_digest(body)
    message = _message(envelope, event_key, event_value, ticket_id=ticket, message_id=f"{SOURCE}:{delivery}",
                       sent_at=received_at, agent_id=fields.get("agent_id"))
    return VendorChange(
        source=SOURCE, delivery_id=delivery, kind=f"automation:{event_key or 'rule'}", ticket_id=ticket,
        occurred_at=received_at, fields=fields, message=message,
    )


def _message(
    envelope: dict[str, Any], key: str | None, value: Any, *, ticket_id: str, message_id: str, sent_at: datetime,
    agent_id: str | None,
) -> MessageRecord | None:
    """A reply or note the rule fired on, as a message record (its text from
    ``ticket_latest_public_comment`` when the template sends it)."""
    if key == "reply_sent":
        role, public = "agent", True
    elif key in ("note_type", "note_added"):
        role, public = "agent", value == "public"
    elif key in ("customer_reply", "customer_reply_sent", "requester_reply"):
        role, public = "customer", True
    else:
        return None
    text = mapping.message_text(envelope.get("ticket_latest_public_comment"), field_name="freshdesk_webhook.ticket_latest_public_comment")
    return MessageRecord(
        ticket_id=ticket_id, message_id=message_id, author_role=role,
        author_id=agent_id if role == "agent" else None, public=public, sent_at=sent_at, text=text,
    )
