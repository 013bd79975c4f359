"""Plain-Python definitions of the business-hours, next-response and repeat-contact facts
(docs/kpis.md), computed from a generator's own records; shares no code with kpi_svc.

- business time: for every local date between the two instants, that date's opening intervals
  (none on a holiday, Monday's on an extra working day, else the weekday's) placed on the zone's
  wall clock and intersected with the span;
- next response: per ticket, each public agent reply answers the public customer messages sent in
  ``(previous reply, reply]``, the wait counted from the first of them (none if that is the reply's
  own instant);
- repeat contact: another ticket of the same customer created in ``[closed_at − 7 d, closed_at)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class CalendarSpec:
    """A calendar as the test creates it through the API's schema, and reads it here."""

    name: str
    tz: str
    hours: dict[str, list[str]]
    holidays: list[date] = field(default_factory=list)
    extra_working_days: list[date] = field(default_factory=list)
    team_ids: list[str] = field(default_factory=list)
    default: bool = False

    def intervals(self, day: date) -> list[str]:
        if day in self.extra_working_days:
            return self.hours.get("mon", [])
        if day in self.holidays:
            return []
        return self.hours.get(WEEKDAYS[day.weekday()], [])


def _wall(day: date, text: str, tz: ZoneInfo) -> datetime:
    hours, minutes = (int(part) for part in text.split(":"))
    return datetime.combine(day, time(), tzinfo=tz) + timedelta(hours=hours, minutes=minutes)


def business_ms(spec: CalendarSpec, start: datetime, end: datetime) -> int:
    """Whole milliseconds of ``[start, end)`` inside the calendar's opening intervals (zones
    without DST changes in the tested dates, so wall-clock arithmetic is exact)."""
    if end <= start:
        return 0
    tz = ZoneInfo(spec.tz)
    total = timedelta()
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        for interval in spec.intervals(day):
            opening, closing = interval.split("-")
            low, high = max(start, _wall(day, opening, tz)), min(end, _wall(day, closing, tz))
            if high > low:
                total += high - low
        day += timedelta(days=1)
    return total // timedelta(milliseconds=1)


def calendar_for(calendars: list[CalendarSpec], team: str | None) -> CalendarSpec | None:
    for spec in calendars:
        if team is not None and team in spec.team_ids:
            return spec
    return next((spec for spec in calendars if spec.default), None)


@dataclass(frozen=True)
class Message:
    ticket_id: str
    message_id: str
    role: str  # customer, agent, bot, system
    author: str | None
    public: bool
    at: datetime


def answered_waits(messages: list[Message]) -> list[tuple[Message, int]]:
    """``(reply, wait in ms)`` of one ticket's conversation (each message once)."""
    customers = sorted(m.at for m in messages if m.role == "customer" and m.public)
    replies = sorted((m for m in messages if m.role == "agent" and m.public), key=lambda m: (m.at, m.message_id))
    out = []
    previous = None
    for reply in replies:
        if previous is not None and reply.at <= previous:
            continue  # a second reply at the same instant answers nothing more
        # answered: the messages after the previous reply and up to this one; one of the reply's
        # very instant is answered without a wait of its own
        waiting = [at for at in customers if (previous is None or at > previous) and at <= reply.at]
        if waiting and waiting[0] < reply.at:
            out.append((reply, (reply.at - waiting[0]) // timedelta(milliseconds=1)))
        previous = reply.at
    return out


def is_repeat(created: dict[str, tuple[str | None, datetime]], ticket_id: str, closed_at: datetime) -> bool:
    """``created``: ticket id → (customer id, created_at) of every ticket."""
    customer = created[ticket_id][0]
    if customer is None:
        return False
    since = closed_at - timedelta(days=7)
    return any(
        other != ticket_id and who == customer and since <= at < closed_at for other, (who, at) in created.items()
    )
