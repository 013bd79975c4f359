"""Zendesk: event subscriptions (``zen:event-type:ticket.*``) and trigger webhooks (a JSON template).

Authenticity as Zendesk sends it: ``X-Zendesk-Webhook-Signature`` is
base64(HMAC-SHA256(signing secret, ``X-Zendesk-Webhook-Signature-Timestamp`` + raw body)), the
timestamp an ISO-8601 string concatenated with no separator.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from feedback_svc.connectors import mapping
from feedback_svc.connectors.mapping import MessageRecord, VendorChange, collect, unmappable
from feedback_svc.connectors.signing import check_age, json_object, matches_any, required_header
from feedback_svc.settings import Settings
from feedback_svc.webhooks.errors import SignatureMismatch

SOURCE = "zendesk"
SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
EVENT_PREFIX = "zen:event-type:ticket."

STATUSES = {
    "new": "new", "open": "open", "pending": "pending", "hold": "on_hold", "on_hold": "on_hold",
    "solved": "resolved", "closed": "closed",
}


class ZendeskEvent(BaseModel):
    """A Zendesk event-subscription delivery (ids are strings, statuses UPPERCASE), or a trigger
    webhook whose JSON template fills ``ticket`` (see docs/connectors.md)."""

    model_config = ConfigDict(extra="allow")

    type: str | None = Field(None, examples=["zen:event-type:ticket.status_changed"])
    id: str | None = Field(None, description="The event id (deduplication)")
    time: str | None = Field(None, examples=["2026-11-20T09:40:00Z"])
    subject: str | None = Field(None, examples=["zen:ticket:48213"])
    detail: dict[str, Any] | None = Field(None, description="The ticket as it stood after the event")
    event: dict[str, Any] | None = Field(None, description='The change, e.g. {"current": "SOLVED", "previous": "OPEN"}')
    ticket: dict[str, Any] | None = Field(None, description="A trigger webhook's JSON template body")


def credentials(settings: Settings) -> tuple[str, ...]:
    return settings.zendesk_signing_secrets


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value Zendesk sends (and the tests sign with)."""
    return base64.b64encode(hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()).decode()


def check_headers(headers: Mapping[str, str], *, now: float) -> None:
    timestamp = required_header(headers, TIMESTAMP_HEADER)
    try:
        sent_at = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        if sent_at.tzinfo is None:
            raise ValueError(timestamp)
        sent = sent_at.timestamp()
    except (ValueError, OverflowError):
        raise SignatureMismatch(f"{TIMESTAMP_HEADER} must be an ISO-8601 time with offset") from None
    check_age(sent, now=now, header=TIMESTAMP_HEADER)
    _decoded_signature(headers)


def _decoded_signature(headers: Mapping[str, str]) -> bytes:
    presented = required_header(headers, SIGNATURE_HEADER)
    try:
        raw = base64.b64decode(presented, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureMismatch(f"{SIGNATURE_HEADER} must be base64") from None
    if len(raw) != hashlib.sha256().digest_size:
        raise SignatureMismatch(f"{SIGNATURE_HEADER} must be a base64 HMAC-SHA256 digest")
    return raw


def verify(headers: Mapping[str, str], body: bytes, *, secrets: Sequence[str], now: float) -> None:
    check_headers(headers, now=now)
    timestamp = headers[TIMESTAMP_HEADER].strip()
    presented = _decoded_signature(headers)
    matches_any(
        presented, [hmac.new(s.encode(), timestamp.encode() + body, hashlib.sha256).digest() for s in secrets]
    )


def parse(body: bytes, headers: Mapping[str, str], *, received_at: datetime) -> VendorChange:
    payload = json_object(body)
    if isinstance(payload.get("type"), str):
        return _event(payload, body)
    if isinstance(payload.get("ticket"), dict):
        return _trigger(payload["ticket"], body, received_at=received_at)
    raise unmappable("type", f"must be a Zendesk ticket event ({EVENT_PREFIX}…) or a trigger body with a ticket object")


def _ticket_fields(detail: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The ticket fields Zendesk states in ``detail`` (events) or the template (triggers)."""
    via = detail.get("via")
    via_channel = via.get("channel") if isinstance(via, dict) else via
    group = detail.get("group_id")
    if mapping.vendor_id_text(group, field_name=f"{prefix}.group_id") is None:
        group = detail.get("group_name")
    steps = {
        "status": lambda: mapping.status(detail["status"], STATUSES, field_name=f"{prefix}.status"),
        "priority": lambda: mapping.priority(detail["priority"], field_name=f"{prefix}.priority"),
        "agent_id": lambda: mapping.vendor_id_text(detail["assignee_id"], field_name=f"{prefix}.assignee_id"),
        "team_id": lambda: mapping.vendor_id_text(group, field_name=f"{prefix}.group_id"),
        "channel": lambda: mapping.channel(via_channel),
        "subject": lambda: mapping.optional_text(detail["subject"], field_name=f"{prefix}.subject", max_length=1000),
        "created_at": lambda: mapping.timestamp(detail["created_at"], field_name=f"{prefix}.created_at"),
        "tags": lambda: mapping.tags(detail["tags"], field_name=f"{prefix}.tags"),
        "customer": lambda: mapping.customer(
            SOURCE, vendor_id=detail.get("requester_id"), email=detail.get("requester_email"),
            name=detail.get("requester_name"), locale=detail.get("requester_locale"), field_prefix=f"{prefix}.requester",
        ),
    }
    present = {
        "status": "status" in detail and detail["status"] not in (None, ""),
        "priority": "priority" in detail and detail["priority"] not in (None, ""),
        "agent_id": "assignee_id" in detail,
        "team_id": "group_id" in detail or "group_name" in detail,
        "channel": via_channel is not None,
        "subject": "subject" in detail,
        "created_at": detail.get("created_at") not in (None, ""),
        "tags": "tags" in detail,
        "customer": any(key in detail for key in ("requester_id", "requester_email", "requester_name")),
    }
    names = [name for name in steps if present[name]]
    values = collect(*(steps[name] for name in names))
    return {name: value for name, value in zip(names, values) if not (name == "created_at" and value is None)}


def _event(payload: dict[str, Any], body: bytes) -> VendorChange:
    kind = payload["type"]
    if not kind.startswith(EVENT_PREFIX):
        raise unmappable("type", f"{kind[:80]!r} is not a ticket event ({EVENT_PREFIX}…)")
    detail = payload.get("detail")
    if not isinstance(detail, dict):
        raise unmappable("detail", "must be the ticket object")
    change = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    ticket, occurred_at, fields = collect(
        lambda: mapping.ticket_id(SOURCE, detail.get("id"), field_name="detail.id"),
        lambda: mapping.timestamp(payload.get("time"), field_name="time", required=True),
        lambda: _ticket_fields(detail, "detail"),
    )
    event_name = kind.removeprefix(EVENT_PREFIX)
    if event_name == "status_changed" and change.get("current") not in (None, ""):
        fields["status"] = mapping.status(change["current"], STATUSES, field_name="event.current")
    message = None
    if event_name == "comment_added":
        message = _comment(change.get("comment"), ticket_id=ticket, sent_at=occurred_at)
    delivery = mapping.vendor_id_text(payload.get("id"), field_name="id") or mapping.body_digest(body)
    return VendorChange(
        source=SOURCE, delivery_id=delivery, kind=kind, ticket_id=ticket, occurred_at=occurred_at, fields=fields,
        message=message,
    )


def _comment(comment: Any, *, ticket_id: str, sent_at: datetime) -> MessageRecord:
    """A ``ticket.comment_added`` comment as a message record: staff authors are agents."""
    if not isinstance(comment, dict):
        raise unmappable("event.comment", "must be the comment object")
    author = comment.get("author") if isinstance(comment.get("author"), dict) else {}
    comment_id, author_id, text = collect(
        lambda: mapping.vendor_id_text(comment.get("id"), field_name="event.comment.id"),
        lambda: mapping.vendor_id_text(author.get("id"), field_name="event.comment.author.id"),
        lambda: mapping.message_text(comment.get("body"), field_name="event.comment.body"),
    )
    if comment_id is None:
        raise unmappable("event.comment.id", "is required")
    public = comment.get("is_public")
    if not isinstance(public, bool):
        raise unmappable("event.comment.is_public", "must be true or false")
    is_staff = author.get("is_staff")
    role = "system" if author_id is None or author_id == "-1" else ("agent" if is_staff is True else "customer")
    return MessageRecord(
        ticket_id=ticket_id, message_id=f"{SOURCE}:{comment_id}", author_role=role,
        author_id=None if author_id is None else (f"{SOURCE}:{author_id}" if role == "customer" else author_id), public=public, sent_at=sent_at, text=text,
    )


def _trigger(ticket: dict[str, Any], body: bytes, *, received_at: datetime) -> VendorChange:
    ticket_id, updated_at, fields = collect(
        lambda: mapping.ticket_id(SOURCE, ticket.get("id"), field_name="ticket.id"),
        lambda: mapping.timestamp(ticket.get("updated_at"), field_name="ticket.updated_at"),
        lambda: _ticket_fields(ticket, "ticket"),
    )
    return VendorChange(
        source=SOURCE, delivery_id=mapping.body_digest(body), kind="trigger", ticket_id=ticket_id,
        occurred_at=updated_at or received_at, fields=fields,
    )
