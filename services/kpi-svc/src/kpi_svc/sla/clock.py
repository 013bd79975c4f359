"""An SLA clock as a pure function of what is known about the ticket: when it starts, when it stops
(the response or resolution, if any), the status changes that pause it, the target and whether it
counts business hours. The same function serves the consumer, a new policy or calendar applied to
running clocks, and a replay, so they all agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kpi_svc.calendars.hours import Calendar, add_business_seconds, business_seconds
from kpi_svc.sla.models import MET, MISSED, PAUSED, RUNNING

Segment = tuple[datetime, datetime | None]  # the clock runs from, until (None: still running)


@dataclass(frozen=True, slots=True)
class ClockReading:
    state: str  # running | paused | met | missed
    due_at: datetime | None  # when the target falls (or fell) due; None while paused short of it, or met


def running_segments(
    start: datetime, stop: datetime | None, statuses: Sequence[tuple[datetime, str]], paused: frozenset[str]
) -> list[Segment]:
    """``[start, stop)`` less the spans when the ticket's status was a paused one (``statuses`` in
    time order; the status before the first change is taken as not paused)."""
    running = True
    for at, status in statuses:
        if at > start:
            break
        running = status not in paused
    segments: list[Segment] = []
    since = start if running else None
    for at, status in statuses:
        if at <= start or (stop is not None and at >= stop):
            continue
        if status in paused and since is not None:
            segments.append((since, at))
            since = None
        elif status not in paused and since is None:
            since = at
    if since is not None:
        segments.append((since, stop))
    return segments


def read_clock(segments: Sequence[Segment], *, stopped: bool, target_seconds: int, calendar: Calendar | None) -> ClockReading:
    """Where the clock stands: met (stopped within the target), missed (stopped past it), running
    (with the instant it falls due, maybe already past), or paused short of the target. A clock
    that passed its target before a pause stays due at the instant it passed it."""
    remaining = float(target_seconds)
    for since, until in segments:
        if until is None:
            due = add_business_seconds(calendar, since, remaining) if calendar else since + timedelta(seconds=remaining)
            return ClockReading(RUNNING, due)
        spent = business_seconds(calendar, since, until) if calendar else (until - since).total_seconds()
        if spent > remaining:
            due = add_business_seconds(calendar, since, remaining) if calendar else since + timedelta(seconds=remaining)
            return ClockReading(MISSED if stopped else RUNNING, due)
        remaining -= spent
    return ClockReading(MET if stopped else PAUSED, None)
