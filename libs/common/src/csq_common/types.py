"""Types for everything a client sends: text that both databases can store, instants in UTC.

PostgreSQL refuses NUL characters in text, and a lone surrogate (``"\\ud800"`` in JSON) cannot be
encoded as UTF-8 for either driver; both used to end as 500s. ``StorableStr`` refuses them as a
422 naming the field. Narrow it with constraints where the field needs them, e.g.
``storable_str(max_length=200)``: the length and pattern are checked first, so their messages
stay pydantic's own.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, StringConstraints


def unstorable_reason(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (a NUL, a lone surrogate), or None if it can."""
    if value.isascii():
        return "must not contain NUL characters" if "\x00" in value else None
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (no unpaired surrogates)"
    return None


def check_storable(value: str) -> str:
    """Pydantic validator of ``StorableStr``: ``value`` itself, or a ValueError saying why not."""
    reason = unstorable_reason(value)
    if reason is not None:
        raise ValueError(reason)
    return value


def storable_str(**constraints: Any) -> Any:
    """``StorableStr`` with pydantic ``StringConstraints`` (``min_length``, ``max_length``,
    ``pattern``, ``strip_whitespace`` …) applied before the storability check."""
    return Annotated[str, StringConstraints(**constraints), AfterValidator(check_storable)]


#: Any client-sent string: no NUL, valid Unicode.
StorableStr = Annotated[str, AfterValidator(check_storable)]
#: An identifier a client gives (ticket, team, agent, campaign, idempotency key …).
IdStr = storable_str(min_length=1, max_length=200)
#: An opaque pagination cursor (a query parameter).
CursorStr = storable_str(max_length=600)


# Deliberately plain: one @, a dot-atom local part, a domain of DNS labels (IDN as its Unicode
# form is accepted). Deliverability is the SMTP server's to judge.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?$", re.UNICODE)


def check_email(value: str) -> str:
    """``value`` without surrounding blanks if it is an email address, else a ValueError saying
    what is wrong with it."""
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or len(local) > 64 or len(value) > 320:
        raise ValueError("must be an email address like name@example.com")
    if not _LOCAL.match(local):
        raise ValueError("has characters not allowed before the @ of an email address")
    labels = domain.rstrip(".").split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) and label.isprintable() for label in labels):
        raise ValueError("has no valid domain after the @ (e.g. example.com)")
    return value


#: An email address a client sends (checked by ``check_email``).
EmailAddress = Annotated[str, StringConstraints(max_length=320), AfterValidator(check_email)]


def check_utc(value: datetime) -> datetime:
    """Pydantic validator of ``UtcInstant``: ``value`` converted to UTC, or a ValueError if it has
    no UTC value (``0001-01-01T00:01+12:19`` falls in year 0, ``9999-12-31T23:00-05:00`` in year
    10000)."""
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("is out of range (years 1-9999 in UTC)") from None


#: A client-sent instant (body field or query parameter): RFC 3339 with an offset, kept in UTC.
#: Converting at the edge makes an instant without a UTC value a 422 naming the field, where the
#: later ``astimezone`` of the service or the database driver used to raise an OverflowError (a 500).
UtcInstant = Annotated[AwareDatetime, AfterValidator(check_utc)]
