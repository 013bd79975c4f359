"""The SLA clock as a pure function: pauses, stops, targets, business hours."""

from datetime import datetime, timedelta, timezone

from kpi_svc.calendars.hours import Calendar
from kpi_svc.sla.clock import read_clock, running_segments

UTC = timezone.utc
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
PAUSED = frozenset({"pending", "on_hold"})


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_paused_statuses_cut_the_running_time():
    statuses = [(at(0), "new"), (at(30), "pending"), (at(60), "open"), (at(90), "on_hold"), (at(100), "pending"), (at(120), "open")]
    assert running_segments(at(0), None, statuses, PAUSED) == [(at(0), at(30)), (at(60), at(90)), (at(120), None)]
    assert running_segments(at(0), at(75), statuses, PAUSED) == [(at(0), at(30)), (at(60), at(75))]
    # A clock that starts while the ticket is pending waits for it to leave that status.
    assert running_segments(at(40), None, statuses, PAUSED) == [(at(60), at(90)), (at(120), None)]


def test_the_reading_moves_the_due_time_by_the_pauses_and_keeps_a_breach_before_a_pause():
    segments = [(at(0), at(30)), (at(60), None)]
    running = read_clock(segments, stopped=False, target_seconds=3600, calendar=None)
    assert (running.state, running.due_at) == ("running", at(90))
    paused_short = read_clock([(at(0), at(30))], stopped=False, target_seconds=3600, calendar=None)
    assert (paused_short.state, paused_short.due_at) == ("paused", None)
    paused_after = read_clock([(at(0), at(70))], stopped=False, target_seconds=3600, calendar=None)
    assert (paused_after.state, paused_after.due_at) == ("running", at(60))
    met = read_clock([(at(0), at(30)), (at(60), at(90))], stopped=True, target_seconds=3600, calendar=None)
    assert (met.state, met.due_at) == ("met", None)  # exactly the target is met
    missed = read_clock([(at(0), at(30)), (at(60), at(91))], stopped=True, target_seconds=3600, calendar=None)
    assert (missed.state, missed.due_at) == ("missed", at(90))


def test_in_business_hours_the_due_time_skips_the_closed_hours():
    office = Calendar.build(tz="Asia/Shanghai", hours={d: ["09:00-12:00", "13:30-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")})
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # Friday 17:00 in Shanghai
    reading = read_clock([(start, None)], stopped=False, target_seconds=2 * 3600, calendar=office)
    assert reading.due_at == datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
