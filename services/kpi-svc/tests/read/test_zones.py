"""Bucket boundaries in IANA zones (pure): local days, weeks from Monday and months, hours in
zones whose offsets or DST shifts are not whole hours, and midnights that a DST change skips."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from csq_common.errors import InvalidInput
from kpi_svc.read.zones import boundaries, zone

T = datetime.fromisoformat


def local(bounds, tz):
    return [moment.astimezone(tz).isoformat() for moment in bounds]


def hours(bounds):
    return [(b - a) / timedelta(hours=1) for a, b in zip(bounds, bounds[1:])]


def test_a_day_whose_midnight_a_dst_change_skips_starts_when_the_clocks_jump():
    tz = ZoneInfo("America/Santiago")  # 6 September 2026: 24:00 -04:00 becomes 01:00 -03:00
    bounds = boundaries(T("2026-09-05T00:00:00-04:00"), T("2026-09-08T00:00:00-03:00"), "day", tz, max_buckets=10)
    assert local(bounds, tz) == [
        "2026-09-05T00:00:00-04:00", "2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00", "2026-09-08T00:00:00-03:00"
    ]
    assert hours(bounds) == [24, 23, 24]


def test_hours_across_a_half_hour_dst_shift_end_at_the_next_whole_local_hour():
    tz = ZoneInfo("Australia/Lord_Howe")  # 4 October 2026: 02:00 +10:30 becomes 02:30 +11:00
    bounds = boundaries(T("2026-10-04T00:00:00+10:30"), T("2026-10-04T04:00:00+11:00"), "hour", tz, max_buckets=10)
    assert local(bounds, tz) == [
        "2026-10-04T00:00:00+10:30", "2026-10-04T01:00:00+10:30", "2026-10-04T03:00:00+11:00", "2026-10-04T04:00:00+11:00"
    ]
    assert hours(bounds) == [1, 1.5, 1]


def test_weeks_start_on_monday_and_months_on_the_first_in_the_zone():
    tz = ZoneInfo("Asia/Kathmandu")
    weeks = boundaries(T("2026-11-02T00:00:00+05:45"), T("2026-11-23T00:00:00+05:45"), "week", tz, max_buckets=10)
    assert [moment.astimezone(tz).strftime("%a %d") for moment in weeks] == ["Mon 02", "Mon 09", "Mon 16", "Mon 23"]
    tz = ZoneInfo("Australia/Adelaide")
    months = boundaries(T("2026-09-01T00:00:00+09:30"), T("2026-12-01T00:00:00+10:30"), "month", tz, max_buckets=10)
    assert local(months, tz) == [
        "2026-09-01T00:00:00+09:30", "2026-10-01T00:00:00+09:30", "2026-11-01T00:00:00+10:30", "2026-12-01T00:00:00+10:30"
    ]


@pytest.mark.parametrize(
    ("start", "end", "interval", "field"),
    [
        ("2026-11-02T00:00:00+05:30", "2026-11-09T00:00:00+05:45", "week", "from"),  # Kolkata's midnight, not Kathmandu's
        ("2026-11-02T00:00:00+05:45", "2026-11-10T00:00:00+05:45", "week", "to"),  # a Tuesday
        ("2026-11-02T00:00:00+05:45", "2026-11-05T00:00:00+05:45", "hour", None),  # 72 buckets: fine
        ("2026-11-02T00:00:00+05:45", "2026-11-02T11:00:00+05:45", "hour", "to"),  # 11 buckets: one too many
    ],
)
def test_boundaries_are_checked_and_bounded(start, end, interval, field):
    tz = zone("Asia/Kathmandu")
    if field is None:
        assert len(boundaries(T(start), T(end), interval, tz, max_buckets=72)) == 73
        return
    with pytest.raises(InvalidInput) as error:
        boundaries(T(start), T(end), interval, tz, max_buckets=10)
    assert error.value.extensions["errors"][0]["field"] == field


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "/etc/localtime", "America", "zone.tab", "x" * 100])
def test_an_unknown_zone_is_a_422_naming_tz(name):
    with pytest.raises(InvalidInput) as error:
        zone(name)
    assert error.value.extensions["errors"][0]["field"] == "tz"
