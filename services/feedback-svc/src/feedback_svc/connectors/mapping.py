"""What every vendor adapter produces, and the normalisation they share.

A vendor adapter turns one authenticated delivery into one :class:`VendorChange`: the fields the
payload states (already in CSQ's vocabulary), the time they held, and a comment or message as a
plain :class:`MessageRecord`. Anything it cannot map raises :class:`Unmappable` naming the field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from csq_common.events import Customer
from csq_common.types import check_email

CHANNELS = ("email", "chat", "phone", "web", "social", "messaging", "api", "other")
PRIORITIES = ("low", "normal", "high", "urgent")
#: CSQ's ticket statuses; ``resolved`` and ``closed`` end the ticket's clock.
STATUSES = ("new", "open", "pending", "on_hold", "resolved", "closed")
DONE = frozenset({"resolved", "closed"})
AUTHOR_ROLES = ("customer", "agent", "bot", "system")

MAX_ID_LENGTH = 200
MAX_TEXT_CHARS = 64 * 1024


class Unmappable(Exception):
    """A vendor payload that cannot be mapped onto a ticket change; ``errors`` name the fields."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def unmappable(field_name: str, message: str) -> Unmappable:
    return Unmappable([{"field": field_name, "message": message}])


@dataclass(frozen=True)
class MessageRecord:
    """A comment or message as ``ticket.message_added`` carries it (DESIGN.md "Event payloads")."""

    ticket_id: str
    message_id: str
    author_role: str  # customer, agent, bot, system
    author_id: str | None
    public: bool
    sent_at: datetime
    text: str
    language: str | None = None

    @property
    def is_public_agent_reply(self) -> bool:
        return self.public and self.author_role == "agent"


@dataclass(frozen=True)
class VendorChange:
    """One vendor delivery as a change to one ticket.

    ``fields`` holds only what the payload states, by CSQ column name (``status``, ``agent_id``,
    ``team_id``, ``channel``, ``priority``, ``subject``, ``created_at``, ``customer``, ``tags``);
    each is applied only if no later change of that field is already stored.
    """

    source: str  # zendesk, freshdesk, chatwoot
    delivery_id: str  # the vendor's event/delivery id, else a hash of the body
    kind: str  # the vendor's event name, for the receipt and the logs
    ticket_id: str  # namespaced: "<source>:<vendor id>"
    occurred_at: datetime
    fields: dict[str, Any] = field(default_factory=dict)
    message: MessageRecord | None = None


def body_digest(body: bytes) -> str:
    """The delivery id of a payload that carries none: a retry sends the same bytes."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def ticket_id(source: str, vendor_id: Any, *, field_name: str) -> str:
    """``zendesk:48213``: vendor ids are namespaced so that two CRMs never collide."""
    text = vendor_id_text(vendor_id, field_name=field_name)
    if text is None:
        raise unmappable(field_name, "is required: the vendor's ticket or conversation id")
    return f"{source}:{text}"


def vendor_id_text(value: Any, *, field_name: str) -> str | None:
    """A vendor id (string or integer) as text; None, "" and Zendesk's "0" mean "none"."""
    if value is None or value == "" or value == "0" or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise unmappable(field_name, "must be a string or an integer id")
    text = str(value).strip()
    if not text:
        return None
    if len(text) > MAX_ID_LENGTH - 20 or "\x00" in text:
        raise unmappable(field_name, f"must be an id of at most {MAX_ID_LENGTH - 20} characters without NUL")
    return text


def namespaced(source: str, value: Any, *, field_name: str) -> str | None:
    text = vendor_id_text(value, field_name=field_name)
    return None if text is None else f"{source}:{text}"


def optional_text(value: Any, *, field_name: str, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise unmappable(field_name, "must be a string")
    if "\x00" in value:
        raise unmappable(field_name, "must not contain NUL characters")
    value = value.strip()
    return value[:max_length] or None


def _lookup(table: dict[str, str], value: Any, *, field_name: str, what: str, default: str | None = None) -> str:
    key = str(value).strip().lower().replace(" ", "_").replace("-", "_") if value is not None else ""
    found = table.get(key, default)
    if found is None:
        raise unmappable(field_name, f"unknown {what} {str(value)[:50]!r}")
    return found


_PRIORITY = {"low": "low", "normal": "normal", "medium": "normal", "high": "high", "urgent": "urgent"}


def priority(value: Any, *, field_name: str, codes: dict[int, str] | None = None) -> str:
    """A vendor priority (name, or numeric code where ``codes`` gives them) as CSQ's."""
    if codes is not None and isinstance(value, int) and not isinstance(value, bool):
        if value not in codes:
            raise unmappable(field_name, f"unknown priority code {value}")
        return codes[value]
    if codes is not None and isinstance(value, str) and value.strip().isdigit():
        return priority(int(value), field_name=field_name, codes=codes)
    return _lookup(_PRIORITY, value, field_name=field_name, what="priority")


def status(value: Any, table: dict[str, str], *, field_name: str) -> str:
    """A vendor status (case-insensitive name) as CSQ's, from the vendor's ``table``."""
    return _lookup(table, value, field_name=field_name, what="status")


# Vendor channel names (lower case, spaces as "_") by CSQ channel; anything else is "other".
_CHANNEL_WORDS: dict[str, tuple[str, ...]] = {
    "email": ("email", "mail", "outbound_email", "channel::email"),
    "chat": ("chat", "chat_transcript", "web_widget", "channel::webwidget", "live_chat"),
    "phone": ("phone", "voice", "phone_call_inbound", "phone_call_outbound", "phone_call_(incoming)",
              "phone_call_(outgoing)", "voicemail", "call"),
    "web": ("web", "web_form", "portal", "help_center", "feedback_widget", "web_service", "mobile_sdk", "mobihelp"),
    "social": ("twitter", "facebook", "facebook_post", "instagram", "instagram_dm", "weibo", "forum",
               "channel::facebookpage", "channel::twitterprofile", "channel::instagram", "social"),
    "messaging": ("native_messaging", "messaging", "whatsapp", "wechat", "line", "telegram", "sms", "messenger",
                  "channel::whatsapp", "channel::sms", "channel::twiliosms", "channel::telegram", "channel::line",
                  "any_channel"),
    "api": ("api", "channel::api"),
}
_CHANNEL = {word: channel for channel, words in _CHANNEL_WORDS.items() for word in words}


def channel(value: Any) -> str | None:
    """A vendor channel name as CSQ's; unknown names are ``other`` (never an error), none is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _lookup(_CHANNEL, value, field_name="channel", what="channel", default="other")


def customer(source: str, *, vendor_id: Any, email: Any, name: Any, locale: Any, field_prefix: str) -> dict[str, Any] | None:
    """The requester as CSQ keeps them (never published readable, see ``tickets.service``), as
    ``ReportedTicket.customer`` takes it; None when nothing is known."""
    values = {
        "id": namespaced(source, vendor_id, field_name=f"{field_prefix}.id"),
        "email": optional_text(email, field_name=f"{field_prefix}.email", max_length=320),
        "name": optional_text(name, field_name=f"{field_prefix}.name", max_length=200),
        "locale": optional_text(locale, field_name=f"{field_prefix}.locale", max_length=35),
    }
    if values["email"] is not None:
        try:
            check_email(values["email"])
        except ValueError as exc:
            raise unmappable(f"{field_prefix}.email", str(exc)) from None
    return Customer(**values).model_dump() if any(v is not None for v in values.values()) else None


def tags(value: Any, *, field_name: str, separator: str | None = None) -> list[str]:
    """Tags as a list (a vendor placeholder renders them as one string)."""
    if value is None:
        return []
    if isinstance(value, str):
        items = value.replace(",", " ").split() if separator is None else value.split(separator)
    elif isinstance(value, list):
        items = value
    else:
        raise unmappable(field_name, "must be a list of strings or one string")
    cleaned = []
    for index, item in enumerate(items[:100]):
        text = optional_text(item if isinstance(item, str) else str(item), field_name=f"{field_name}[{index}]", max_length=200)
        if text:
            cleaned.append(text)
    return cleaned


def timestamp(value: Any, *, field_name: str, required: bool = False) -> datetime | None:
    """An ISO-8601 string, ``"2026-11-20 08:12:00 UTC"`` or unix seconds, in UTC."""
    if value is None or value == "":
        if required:
            raise unmappable(field_name, "is required")
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(value, tz=timezone.utc)
        elif isinstance(value, str):
            text = value.strip()
            if text.endswith(" UTC"):
                text = text[:-4].replace(" ", "T") + "+00:00"
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        else:
            raise ValueError(value)
        if moment.tzinfo is None:
            raise unmappable(field_name, "must carry a UTC offset")
        moment = moment.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise unmappable(field_name, "must be an ISO-8601 time with offset or unix seconds") from None
    if not 1970 <= moment.year < 9000:
        raise unmappable(field_name, "must lie between 1970 and 9000")
    return moment


def message_text(value: Any, *, field_name: str) -> str:
    """A comment's text, capped at 64 KiB of characters (the event's limit)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise unmappable(field_name, "must be a string")
    if "\x00" in value:
        raise unmappable(field_name, "must not contain NUL characters")
    return value[:MAX_TEXT_CHARS]


def collect(*steps: Callable[[], Any]) -> list[Any]:
    """Run every mapping step, gathering every field error instead of stopping at the first."""
    results: list[Any] = []
    errors: list[dict[str, str]] = []
    for step in steps:
        try:
            results.append(step())
        except Unmappable as exc:
            errors.extend(exc.errors)
            results.append(None)
    if errors:
        raise Unmappable(errors)
    return results
