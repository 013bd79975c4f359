"""The pure rules of a target: the window of an evaluation, and the hysteresis of its state.

Windows (UTC ``[start, end)``, read exactly as ``GET /v1/kpis/summary?from=start&to=end``):

- ``rolling_1h``: the four quarter hours ending with the current one (the finest stored bucket
  is 15 minutes), so it always holds the latest events;
- ``today``, ``this_week`` (from Monday), ``this_month``: the local calendar period holding the
  instant of evaluation in the target's time zone (a DST day is 23 or 25 hours long).

Hysteresis, as a supervisor reads it: "breached when the value is past the threshold for
``breach_after`` evaluations in a row; recovered when it is back past threshold ± margin for
``recover_after`` evaluations in a row". Between the threshold and the margin the state holds,
and any evaluation on the wrong side starts the count again. Below the minimum sample the state
is ``insufficient_data`` and nothing is published; ``alerted`` remembers whether the last event
was a breach, so data returning on the same side publishes nothing, and on the other side
publishes the change (after the same count of evaluations).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from kpi_svc.aggregates.buckets import Q15, floor_to
from kpi_svc.read.zones import day_start
from kpi_svc.targets.models import AT_LEAST, BREACHED, INSUFFICIENT, OK, ROLLING_1H, THIS_MONTH, THIS_WEEK, TODAY

QUARTER = timedelta(minutes=15)
BREACH, RECOVERY = "breached", "recovered"


def window_of(window: str, tz: tzinfo, now: datetime) -> tuple[datetime, datetime]:
    """The UTC window ``[start, end)`` of a target's ``window`` kind in ``tz`` at ``now``."""
    if window == ROLLING_1H:
        end = floor_to(now, Q15) + QUARTER
        return end - 4 * QUARTER, end
    local = now.astimezone(tz).date()
    if window == TODAY:
        first, following = local, local + timedelta(days=1)
    elif window == THIS_WEEK:
        first = local - timedelta(days=local.weekday())
        following = first + timedelta(days=7)
    elif window == THIS_MONTH:
        first = local.replace(day=1)
        following = first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)
    else:
        raise ValueError(f"unknown window {window!r}")
    return day_start(first, tz), day_start(following, tz)


@dataclass(frozen=True)
class Limits:
    """What the hysteresis needs of a target."""

    threshold: float
    direction: str
    min_sample: int
    recovery_margin: float
    breach_after: int
    recover_after: int


@dataclass(frozen=True)
class Before:
    state: str
    alerted: bool
    streak: int


@dataclass(frozen=True)
class After:
    state: str
    alerted: bool
    streak: int
    event: str | None  # BREACH, RECOVERY or None


def past_threshold(limits: Limits, value: float) -> bool:
    """On the breached side: below the threshold for at_least, above it for at_most."""
    return value < limits.threshold if limits.direction == AT_LEAST else value > limits.threshold


def back_within(limits: Limits, value: float) -> bool:
    """Back past the threshold by the margin: at or above threshold + margin for at_least, at or
    below threshold - margin for at_most."""
    if limits.direction == AT_LEAST:
        return value >= limits.threshold + limits.recovery_margin
    return value <= limits.threshold - limits.recovery_margin


def step(limits: Limits, before: Before, value: float | None, count: int) -> After:
    """The state after one evaluation that found ``value`` over ``count`` observations."""
    if value is None or count < limits.min_sample:
        return After(INSUFFICIENT, before.alerted, 0, None)
    if not before.alerted:
        if not past_threshold(limits, value):
            return After(OK, False, 0, None)
        streak = before.streak + 1
        if streak >= limits.breach_after:
            return After(BREACHED, True, 0, BREACH)
        return After(OK, False, streak, None)
    if not back_within(limits, value):
        return After(BREACHED, True, 0, None)
    streak = before.streak + 1
    if streak >= limits.recover_after:
        return After(OK, False, 0, RECOVERY)
    return After(BREACHED, True, streak, None)
