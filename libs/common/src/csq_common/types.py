"""String types for everything a client sends: text that both databases can store.

PostgreSQL refuses NUL characters in text, and a lone surrogate (``"\\ud800"`` in JSON) cannot be
encoded as UTF-8 for either driver; both used to end as 500s. ``StorableStr`` refuses them as a
422 naming the field. Narrow it with constraints where the field needs them, e.g.
``storable_str(max_length=200)``: the length and pattern are checked first, so their messages
stay pydantic's own.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints


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
