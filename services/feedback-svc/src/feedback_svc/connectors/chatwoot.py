"""Chatwoot: ``conversation_created``, ``conversation_status_changed``, ``conversation_updated`` and
``message_created`` webhooks; a conversation is a ticket.

Authenticity as Chatwoot sends it: ``X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret,
X-Chatwoot-Timestamp + "." + raw body)>``, the timestamp in Unix seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from feedback_svc.connectors import mapping
from feedback_svc.connectors.mapping import MessageRecord, VendorChange, collect, unmappable
from feedback_svc.connectors.signing import check_age, json_object, matches_any, required_header
from feedback_svc.settings import Settings
from feedback_svc.webhooks.errors import SignatureMismatch

SOURCE = "chatwoot"
SIGNATURE_HEADER = "X-Chatwoot-Signature"
TIMESTAMP_HEADER = "X-Chatwoot-Timestamp"
EVENTS = ("conversation_created", "conversation_status_changed", "conversation_updated", "message_created")
STATUSES = {"open": "open", "pending": "pending", "snoozed": "on_hold", "resolved": "resolved"}
MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}

_SIGNATURE = re.compile(r"^sha256=([0-9a-fA-F]{64})$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")


class ChatwootEvent(BaseModel):
    """A Chatwoot webhook: a conversation (``conversation_*``) or a message with its
    ``conversation`` (``message_created``)."""

    model_config = ConfigDict(extra="allow")

    event: str = Field(examples=list(EVENTS))
    id: int | str | None = Field(None, description="The conversation's (or the message's) id")
    status: str | None = Field(None, examples=["open", "pending", "snoozed", "resolved"])
    conversation: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None


def credentials(settings: Settings) -> tuple[str, ...]:
    return settings.chatwoot_secrets


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The header value Chatwoot sends (and the tests sign with)."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _headers(headers: Mapping[str, str], *, now: float) -> tuple[str, bytes]:
    timestamp = required_header(headers, TIMESTAMP_HEADER)
    if not _TIMESTAMP.match(timestamp):
        raise SignatureMismatch(f"{TIMESTAMP_HEADER} must be unix seconds")
    check_age(int(timestamp), now=now, header=TIMESTAMP_HEADER)
    found = _SIGNATURE.match(required_header(headers, SIGNATURE_HEADER))
    if not found:
        raise SignatureMismatch(f"{SIGNATURE_HEADER} must look like sha256=<64 hex digits>")
    return timestamp, found.group(1).lower().encode()


def check_headers(headers: Mapping[str, str], *, now: float) -> None:
    _headers(headers, now=now)


def verify(headers: Mapping[str, str], body: bytes, *, secrets: Sequence[str], now: float) -> None:
    timestamp, presented = _headers(headers, now=now)
    matches_any(
        presented,
        [hmac.new(s.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest().encode() for s in secrets],
    )


def parse(body: bytes, headers: Mapping[str, str], *, received_at: datetime) -> VendorChange:
    payload = json_object(body)
    event = payload.get("event")
    if event not in EVENTS:
        raise unmappable("event", f"must be one of {', '.join(EVENTS)}")
    if event == "message_created":
        conversation = payload.get("conversation")
        if not isinstance(conversation, dict):
            raise unmappable("conversation", "is required with message_created")
        prefix = "conversation"
    else:
        conversation, prefix = payload, ""
    ticket, fields = collect(
        lambda: mapping.ticket_id(SOURCE, conversation.get("id"), field_name=_at(prefix, "id")),
        lambda: _conversation_fields(conversation, prefix),
    )
    if event == "message_created":
        message = _message(payload, ticket_id=ticket)
        return VendorChange(
            source=SOURCE, delivery_id=f"message:{message.message_id}", kind=event, ticket_id=ticket,
            occurred_at=message.sent_at, fields=fields, message=message,
        )
    occurred_at = (
        mapping.timestamp(payload.get("updated_at"), field_name="updated_at")
        or mapping.timestamp(payload.get("timestamp"), field_name="timestamp")
        or mapping.timestamp(int(headers[TIMESTAMP_HEADER]), field_name=TIMESTAMP_HEADER)
    )
    return VendorChange(
        source=SOURCE, delivery_id=mapping.body_digest(body), kind=event, ticket_id=ticket, occurred_at=occurred_at,
        fields=fields,
    )


def _at(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _conversation_fields(conversation: dict[str, Any], prefix: str) -> dict[str, Any]:
    meta = conversation.get("meta") if isinstance(conversation.get("meta"), dict) else {}
    sender = meta.get("sender") if isinstance(meta.get("sender"), dict) else {}
    fields: dict[str, Any] = {}
    steps = []
    if conversation.get("status") not in (None, ""):
        steps.append(("status", lambda: mapping.status(conversation["status"], STATUSES, field_name=_at(prefix, "status"))))
    if conversation.get("priority") not in (None, ""):
        steps.append(("priority", lambda: mapping.priority(conversation["priority"], field_name=_at(prefix, "priority"))))
    if "assignee" in meta:
        assignee = meta["assignee"] if isinstance(meta["assignee"], dict) else {}
        steps.append(("agent_id", lambda: mapping.vendor_id_text(assignee.get("id"), field_name=_at(prefix, "meta.assignee.id"))))
    if "team" in meta:
        team = meta["team"] if isinstance(meta["team"], dict) else {}
        steps.append(("team_id", lambda: mapping.vendor_id_text(team.get("id"), field_name=_at(prefix, "meta.team.id"))))
    if conversation.get("channel"):
        steps.append(("channel", lambda: mapping.channel(conversation["channel"])))
    if conversation.get("created_at") not in (None, ""):
        steps.append(("created_at", lambda: mapping.timestamp(conversation["created_at"], field_name=_at(prefix, "created_at"))))
    if "labels" in conversation:
        steps.append(("tags", lambda: mapping.tags(conversation["labels"], field_name=_at(prefix, "labels"))))
    if sender:
        steps.append(("customer", lambda: mapping.customer(
            SOURCE, vendor_id=sender.get("id"), email=sender.get("email"), name=sender.get("name"), locale=None,
            field_prefix=_at(prefix, "meta.sender"),
        )))
    values = collect(*(step for _name, step in steps))
    fields.update({name: value for (name, _step), value in zip(steps, values)})
    return fields


def _message(payload: dict[str, Any], *, ticket_id: str) -> MessageRecord:
    """A ``message_created`` message as a record: incoming is the customer's, outgoing an agent's
    (or a bot's), activity a system note."""
    sender = payload.get("sender") if isinstance(payload.get("sender"), dict) else {}
    message_id, sent_at, text, author = collect(
        lambda: mapping.vendor_id_text(payload.get("id"), field_name="id"),
        lambda: mapping.timestamp(payload.get("created_at"), field_name="created_at", required=True),
        lambda: mapping.message_text(payload.get("content"), field_name="content"),
        lambda: mapping.vendor_id_text(sender.get("id"), field_name="sender.id"),
    )
    if message_id is None:
        raise unmappable("id", "is required: the message id")
    kind = payload.get("message_type")
    kind = MESSAGE_TYPES.get(kind, kind) if isinstance(kind, int) else kind
    sender_type = str(sender.get("type") or "").lower()
    if kind == "incoming":
        role = "customer"
    elif kind == "outgoing":
        role = "agent" if sender_type == "user" else ("bot" if sender_type == "agent_bot" else "system")
    elif kind == "template":
        role = "bot"
    elif kind == "activity":
        role = "system"
    else:
        raise unmappable("message_type", "must be incoming, outgoing, activity or template")
    private = payload.get("private", False)
    if not isinstance(private, bool):
        raise unmappable("private", "must be true or false")
    return MessageRecord(
        ticket_id=ticket_id, message_id=f"{SOURCE}:{message_id}", author_role=role,
        author_id=None if author is None else (f"{SOURCE}:{author}" if role == "customer" else author), public=not private and kind != "activity",
        sent_at=sent_at, text=text,
    )
