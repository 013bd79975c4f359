"""business_seconds and add_business_seconds against a brute-force oracle written from DESIGN.md's
words: walk the window minute by minute, read each minute's wall clock in the calendar's zone, and
count it if that local date is a working date and the time falls in one of its intervals."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kpi_svc.calendars.hours import (
    WEEKDAYS,
    Calendar,
    CalendarRuleError,
    add_business_seconds,
    business_seconds,
)

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
# DST changes of 2026: US (Mar 8, Nov 1), EU (Mar 29, Oct 25), Lord Howe's half hour (Apr 5, Oct 4).
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Shanghai", "Asia/Kathmandu"]
ANCHORS = [datetime(2026, m, d, tzinfo=UTC) for m, d in ((3, 8), (3, 29), (4, 5), (10, 4), (10, 25), (11, 1), (6, 15))]


def minutes_of(text: str) -> tuple[int, int]:
    a, b = text.split("-")
    return tuple(int(part[:2]) * 60 + int(part[3:]) for part in (a, b))


def oracle_seconds(tz, hours, holidays, extra, start, end, working_day=None) -> int:
    zone = ZoneInfo(tz)
    counted = 0
    at = start
    while at < end:
        local = at.astimezone(zone)
        day = local.date()
        if working_day is not None:
            texts = (hours["mon"] if day.weekday() >= 5 else hours[WEEKDAYS[day.weekday()]]) if working_day(day) else []
        elif day in extra:
            texts = hours["mon"]
        elif day in holidays:
            texts = []
        else:
            texts = hours[WEEKDAYS[day.weekday()]]
        now = local.hour * 60 + local.minute
        if any(a <= now < b for a, b in map(minutes_of, texts)):
            counted += 60
        at += MINUTE
    return counted


def oracle_due(tz, hours, holidays, extra, start, seconds, limit) -> datetime | None:
    if seconds == 0:
        return start
    counted, at = 0, start
    while at < limit:
        counted += oracle_seconds(tz, hours, holidays, extra, at, at + MINUTE)
        at += MINUTE
        if counted >= seconds:
            return at
    return None


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def day_hours(draw):
    cuts = sorted(draw(st.sets(st.integers(0, 48).map(lambda half_hours: half_hours * 30), max_size=6)))
    cuts = cuts[: len(cuts) // 2 * 2]
    return [f"{hhmm(a)}-{hhmm(b)}" for a, b in zip(cuts[::2], cuts[1::2]) if b > a]


@st.composite
def cases(draw):
    tz = draw(st.sampled_from(ZONES))
    hours = {day: draw(day_hours()) for day in WEEKDAYS}
    if not any(hours.values()):  # a calendar that never opens is refused
        hours["mon"] = ["09:00-17:30"]
    anchor = draw(st.sampled_from(ANCHORS))
    start = anchor + timedelta(minutes=draw(st.integers(-2 * 1440, 2 * 1440)))
    end = start + timedelta(minutes=draw(st.integers(0, 3 * 1440)))
    days = [(anchor + timedelta(days=n)).date() for n in range(-4, 5)]
    holidays = draw(st.sets(st.sampled_from(days), max_size=3))
    extra = draw(st.sets(st.sampled_from(days), max_size=3)) - holidays
    return tz, hours, holidays, extra, start, end


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_business_seconds_match_the_minute_by_minute_oracle(case):
    tz, hours, holidays, extra, start, end = case
    calendar = Calendar.build(tz=tz, hours=hours, holidays=sorted(holidays), extra_working_days=sorted(extra))
    assert business_seconds(calendar, start, end) == oracle_seconds(tz, hours, holidays, extra, start, end)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.integers(0, 900))
def test_add_business_seconds_is_the_first_instant_the_oracle_reaches_the_target(case, minutes):
    tz, hours, holidays, extra, start, _ = case
    calendar = Calendar.build(tz=tz, hours=hours, holidays=sorted(holidays), extra_working_days=sorted(extra))
    limit = start + timedelta(days=4)
    expected = oracle_due(tz, hours, holidays, extra, start, minutes * 60, limit)
    due = add_business_seconds(calendar, start, minutes * 60)
    if expected is None:
        assert due is None or due >= limit
    else:
        assert due == expected


@pytest.mark.parametrize(
    ("tz", "day", "interval", "hours"),
    [
        ("America/New_York", date(2026, 3, 8), "01:00-04:00", 2),  # 02:00-03:00 never shows on the clock
        ("America/New_York", date(2026, 11, 1), "01:00-03:00", 3),  # 01:00-02:00 shows twice
        ("Australia/Lord_Howe", date(2026, 10, 4), "01:00-03:00", 1.5),  # clocks jump 02:00 → 02:30
        ("Australia/Lord_Howe", date(2026, 4, 5), "01:00-03:00", 2.5),  # clocks go back 02:00 → 01:30
        ("Europe/Berlin", date(2026, 3, 29), "02:30-04:00", 1),  # opens in the gap: from 03:00
    ],
)
def test_a_day_with_a_dst_change_counts_what_the_wall_clock_shows(tz, day, interval, hours):
    calendar = Calendar.build(tz=tz, hours={name: [interval] for name in WEEKDAYS})
    zone = ZoneInfo(tz)
    start, end = datetime.combine(day, time(), zone), datetime.combine(day + timedelta(days=1), time(), zone)
    assert business_seconds(calendar, start, end) == hours * 3600
    # The next day, past the change, the due instant is at the new offset.
    opening = datetime.combine(day + timedelta(days=1), time(int(interval[:2]), int(interval[3:5])), zone)
    assert add_business_seconds(calendar, end, 1800) == opening + timedelta(minutes=30)


OFFICE = {"mon": ["09:00-12:00", "13:30-18:00"], "tue": ["09:00-18:00"], "wed": ["09:00-18:00"], "thu": ["09:00-18:00"],
          "fri": ["09:00-17:00"], "sat": [], "sun": []}


def test_china_2026_make_up_days_and_golden_week_follow_chinese_calendar():
    calendar = Calendar.build(tz="Asia/Shanghai", hours=OFFICE, country="CN")
    shanghai = ZoneInfo("Asia/Shanghai")

    def local(day, hour=0):
        return datetime.combine(day, time(hour), shanghai)

    # Saturday 2026-10-10 and Sunday 2026-09-20 are make-up working days (调休): Monday's hours.
    for make_up in (date(2026, 10, 10), date(2026, 9, 20), date(2026, 2, 28)):
        assert make_up.weekday() >= 5 and chinese_calendar.is_workday(make_up)
        assert business_seconds(calendar, local(make_up), local(make_up + timedelta(days=1))) == (3 + 4.5) * 3600
    # An ordinary Saturday stays closed; the National Day week (Oct 1-7) is closed.
    assert business_seconds(calendar, local(date(2026, 10, 17)), local(date(2026, 10, 18))) == 0
    assert business_seconds(calendar, local(date(2026, 10, 1)), local(date(2026, 10, 8))) == 0
    # Against the oracle fed by chinese_calendar's own verdict per date, over September-October.
    start, end = local(date(2026, 9, 18)), local(date(2026, 10, 13))
    expected = oracle_seconds("Asia/Shanghai", OFFICE, set(), set(), start.astimezone(UTC), end.astimezone(UTC),
                              working_day=chinese_calendar.is_workday)
    assert business_seconds(calendar, start, end) == expected
    # Due dates jump the holiday: 2 business hours from Wednesday 2026-09-30 17:00 are one hour
    # that evening, then National Day (Oct 1-7) closed, then Thursday Oct 8 09:00-10:00.
    assert add_business_seconds(calendar, local(date(2026, 9, 30), 17), 2 * 3600) == datetime(2026, 10, 8, 10, tzinfo=shanghai)
    # 9 business hours from Friday Oct 9 09:00 (8 that Friday) end on the Saturday make-up day at 10:00.
    assert add_business_seconds(calendar, local(date(2026, 10, 9), 9), 9 * 3600) == datetime(2026, 10, 10, 10, tzinfo=shanghai)


def test_explicit_holiday_and_extra_working_day_on_the_same_date_is_refused():
    with pytest.raises(CalendarRuleError) as refused:
        Calendar.build(tz="Asia/Shanghai", hours=OFFICE, holidays=[date(2026, 9, 27)], extra_working_days=[date(2026, 9, 27)])
    assert refused.value.field == "extra_working_days"


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ({"mon": ["09:00-12:00", "11:00-13:00"]}, "hours.mon[1]"),
        ({"tue": ["12:00-09:00"]}, "hours.tue[0]"),
        ({"wed": ["09:00-09:00"]}, "hours.wed[0]"),
        ({"thu": ["25:00-26:00"]}, "hours.thu[0]"),
        ({"fri": ["9-17"]}, "hours.fri[0]"),
        ({"funday": []}, "hours.funday"),
    ],
)
def test_bad_intervals_name_the_field(hours, field):
    with pytest.raises(CalendarRuleError) as refused:
        Calendar.build(tz="Europe/Berlin", hours=hours)
    assert refused.value.field == field


def test_an_unknown_zone_is_refused():
    with pytest.raises(CalendarRuleError) as refused:
        Calendar.build(tz="Mars/Olympus_Mons", hours=OFFICE)
    assert refused.value.field == "tz"
