"""Cycle periods: a day, a week (Monday first) or a calendar month in a plan's time zone,
returned as UTC instants ``[start, end)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    #: The local date the period starts on (its name in the plan's zone).
    first_day: date


def _first_day(frequency: str, day: date) -> date:
    if frequency == "daily":
        return day
    if frequency == "weekly":
        return day - timedelta(days=day.weekday())
    if frequency == "monthly":
        return day.replace(day=1)
    raise ValueError(f"unknown frequency {frequency!r}")


def _next_first_day(frequency: str, first: date) -> date:
    if frequency == "daily":
        return first + timedelta(days=1)
    if frequency == "weekly":
        return first + timedelta(days=7)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)


def period_containing(frequency: str, zone_name: str, day: date) -> Period:
    """The period of ``frequency`` in ``zone_name`` that holds the local date ``day``."""
    zone = ZoneInfo(zone_name)
    first = _first_day(frequency, day)
    return Period(start=_midnight(first, zone), end=_midnight(_next_first_day(frequency, first), zone), first_day=first)


def last_ended_period(frequency: str, zone_name: str, now: datetime) -> Period:
    """The latest period that has ended at ``now``: the one before the period ``now`` is in."""
    current = period_containing(frequency, zone_name, now.astimezone(ZoneInfo(zone_name)).date())
    return period_containing(frequency, zone_name, current.first_day - timedelta(days=1))
