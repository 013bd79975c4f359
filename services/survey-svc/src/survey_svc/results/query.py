"""What a results request asks for: the window, the filters, the time zone and the interval.

``parse_query`` turns the raw query strings into a :class:`ResultsQuery` or raises
``InvalidInput`` listing every bad parameter at once, each naming its field (``from``, ``to``,
``tz``, ``interval``). Pure: no I/O, no session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select

from csq_common.errors import InvalidInput

MAX_WINDOW = timedelta(days=400)
INTERVALS = ("day", "week", "month")
UTC = timezone.utc


@dataclass(frozen=True)
class Filters:
    """Attribution filters; each applies to invitations and responses alike (None: any)."""

    team_id: str | None = None
    agent_id: str | None = None
    channel: str | None = None
    campaign_id: str | None = None
    version: int | None = None

    def apply(self, statement: Select, model) -> Select:
        """``statement`` narrowed on ``model``'s attribution columns (Invitation or Response)."""
        for name in ("team_id", "agent_id", "channel", "campaign_id"):
            value = getattr(self, name)
            if value is not None:
                statement = statement.where(getattr(model, name) == value)
        if self.version is not None:
            statement = statement.where(model.survey_version == self.version)
        return statement

    def as_dict(self) -> dict[str, str | int | None]:
        return {name: getattr(self, name) for name in ("team_id", "agent_id", "channel", "campaign_id", "version")}


@dataclass(frozen=True)
class ResultsQuery:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    filters: Filters = field(default_factory=Filters)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    interval: str | None = None


def parse_instant(text: str) -> datetime:
    """An RFC 3339 timestamp with an offset (``Z`` or ``±hh:mm``), as UTC; ValueError otherwise."""
    text = text.strip()
    if len(text) < 20 or text[10] not in "Tt ":
        raise ValueError(text)
    moment = datetime.fromisoformat(text.replace("z", "Z"))
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(text)
    return moment.astimezone(UTC)


def parse_zone(name: str) -> ZoneInfo:
    """An IANA zone by name; ValueError for anything else (paths, unknown names)."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(name) from None


def parse_query(
    *,
    from_: str,
    to: str,
    tz: str = "UTC",
    interval: str | None = None,
    filters: Filters | None = None,
) -> ResultsQuery:
    errors: list[dict[str, str]] = []
    instants: dict[str, datetime] = {}
    for name, text in (("from", from_), ("to", to)):
        try:
            instants[name] = parse_instant(text)
        except (ValueError, OverflowError):
            errors.append({"field": name, "message": "must be an RFC 3339 timestamp with an offset, e.g. 2026-03-01T00:00:00+08:00"})
    if len(instants) == 2:
        if instants["to"] <= instants["from"]:
            errors.append({"field": "to", "message": "must be later than from"})
        elif instants["to"] - instants["from"] > MAX_WINDOW:
            errors.append({"field": "to", "message": f"the window may span at most {MAX_WINDOW.days} days"})
    zone = None
    try:
        zone = parse_zone(tz)
    except ValueError:
        errors.append({"field": "tz", "message": f"{tz[:64]!r} is not an IANA time zone (e.g. Asia/Shanghai, UTC)"})
    if interval is not None and interval not in INTERVALS:
        errors.append({"field": "interval", "message": f"must be one of {', '.join(INTERVALS)}"})
    if errors:
        raise InvalidInput(errors=errors)
    return ResultsQuery(start=instants["from"], end=instants["to"], filters=filters or Filters(), tz=zone, interval=interval)
