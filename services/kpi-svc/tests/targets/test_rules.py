"""The pure rules: windows in non-UTC zones (expected instants worked out by hand from the zones'
offsets), and the hysteresis on a value that hovers around the threshold."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kpi_svc.targets.models import BREACHED, INSUFFICIENT, OK, PENDING
from kpi_svc.targets.rules import BREACH, RECOVERY, Before, Limits, step, window_of

T = datetime.fromisoformat


@pytest.mark.parametrize(
    ("window", "zone", "now", "start", "end"),
    [
        # Kolkata is UTC+05:30: 20:00Z on 6 December is 01:30 on 7 December there.
        ("today", "Asia/Kolkata", "2026-12-06T20:00:00Z", "2026-12-06T18:30:00Z", "2026-12-07T18:30:00Z"),
        ("today", "Asia/Kolkata", "2026-12-06T18:29:59Z", "2026-12-05T18:30:00Z", "2026-12-06T18:30:00Z"),
        # 7 December 2026 is a Monday: the week runs to Monday 14 December, local midnight.
        ("this_week", "Asia/Kolkata", "2026-12-06T20:00:00Z", "2026-12-06T18:30:00Z", "2026-12-13T18:30:00Z"),
        ("this_week", "Asia/Kolkata", "2026-12-06T18:00:00Z", "2026-11-29T18:30:00Z", "2026-12-06T18:30:00Z"),
        ("this_month", "Asia/Kolkata", "2026-11-30T18:45:00Z", "2026-11-30T18:30:00Z", "2026-12-31T18:30:00Z"),
        # Kathmandu is UTC+05:45.
        ("today", "Asia/Kathmandu", "2026-12-06T18:00:00Z", "2026-12-05T18:15:00Z", "2026-12-06T18:15:00Z"),
        # New York springs forward on Sunday 8 March 2026: that day has 23 hours (-05:00, then -04:00).
        ("today", "America/New_York", "2026-03-08T12:00:00Z", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"),
        ("this_week", "America/New_York", "2026-03-08T12:00:00Z", "2026-03-02T05:00:00Z", "2026-03-09T04:00:00Z"),
        ("this_month", "America/New_York", "2026-03-08T12:00:00Z", "2026-03-01T05:00:00Z", "2026-04-01T04:00:00Z"),
        ("this_month", "Asia/Shanghai", "2026-12-31T16:00:00Z", "2026-12-31T16:00:00Z", "2027-01-31T16:00:00Z"),
        # The rolling hour: the four quarter hours ending with the current one, whatever the zone.
        ("rolling_1h", "Asia/Kolkata", "2026-12-06T10:07:30Z", "2026-12-06T09:15:00Z", "2026-12-06T10:15:00Z"),
        ("rolling_1h", "UTC", "2026-12-06T10:15:00Z", "2026-12-06T09:30:00Z", "2026-12-06T10:30:00Z"),
    ],
)
def test_windows_in_a_time_zone(window, zone, now, start, end):
    assert window_of(window, ZoneInfo(zone), T(now)) == (T(start), T(end))


LIMITS = dict(threshold=80.0, direction="at_least", min_sample=5)


def run(limits: Limits, values: list[float], count: int = 100) -> tuple[list[str], list[str]]:
    before = Before(PENDING, False, 0)
    events, states = [], []
    for value in values:
        after = step(limits, before, value, count)
        if after.event:
            events.append(after.event)
        states.append(after.state)
        before = Before(after.state, after.alerted, after.streak)
    return events, states


def crossings(values: list[float], threshold: float) -> list[str]:
    """The events a target without hysteresis must publish: one per crossing of the threshold."""
    events, below = [], False
    for value in values:
        if (value < threshold) != below:
            below = value < threshold
            events.append(BREACH if below else RECOVERY)
    return events


# FCR hovering around 80 %: dips under it, comes back to it, dips again, and only later clears 85.
HOVERING = [81.0, 79.5, 80.0, 79.9, 80.5, 79.0, 82.0, 84.9, 85.0, 86.0, 84.0, 85.5]


def test_a_value_hovering_at_the_threshold_breaches_and_recovers_once_with_hysteresis():
    events, states = run(Limits(**LIMITS, recovery_margin=5, breach_after=1, recover_after=2), HOVERING)
    assert events == [BREACH, RECOVERY]
    assert states.index(BREACHED) == 1  # breached at the first dip
    assert states.index(OK, 1) == 9  # 85.0 then 86.0: two evaluations at or past 85
    flapping, _ = run(Limits(**LIMITS, recovery_margin=0, breach_after=1, recover_after=1), HOVERING)
    assert flapping == crossings(HOVERING, 80.0) and len(flapping) == 6


def test_consecutive_evaluations_to_breach_ignore_a_single_dip():
    events, states = run(Limits(**LIMITS, recovery_margin=0, breach_after=2, recover_after=1), [81, 79, 81, 79, 79, 81])
    assert events == [BREACH, RECOVERY] and states == [OK, OK, OK, OK, BREACHED, OK]


def test_at_most_breaches_above_and_recovers_below_threshold_minus_margin():
    limits = Limits(threshold=600, direction="at_most", min_sample=1, recovery_margin=60, breach_after=1, recover_after=1)
    events, states = run(limits, [590, 600, 601, 560, 540])
    assert events == [BREACH, RECOVERY] and states == [OK, OK, BREACHED, BREACHED, OK]


def test_below_the_minimum_sample_the_state_is_insufficient_data_and_no_event_is_published():
    limits = Limits(**LIMITS, recovery_margin=0, breach_after=1, recover_after=1)
    after = step(limits, Before(PENDING, False, 0), 10.0, 4)
    assert (after.state, after.event) == (INSUFFICIENT, None)
    assert step(limits, Before(PENDING, False, 0), None, 0).state == INSUFFICIENT
    # A breach already published stays published through a gap in the data: no second breach
    # when the data comes back still bad, a recovery when it comes back good.
    gap = step(limits, Before(BREACHED, True, 0), 10.0, 2)
    assert (gap.state, gap.alerted, gap.event) == (INSUFFICIENT, True, None)
    assert step(limits, Before(gap.state, gap.alerted, gap.streak), 10.0, 50).event is None
    assert step(limits, Before(gap.state, gap.alerted, gap.streak), 95.0, 50).event == RECOVERY
