"""The pure parts: exact rounding, query parsing, calendar buckets in awkward zones."""

from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from csq_common.errors import InvalidInput
from survey_svc.results import stats
from survey_svc.results.query import parse_query
from survey_svc.results.series import Series, boundaries

UTC = timezone.utc


def test_round2_is_exact_and_half_away_from_zero():
    assert stats.round2(Fraction(200, 3)) == Decimal("66.67")
    assert stats.round2(Fraction(-200, 3)) == Decimal("-66.67")
    assert stats.round2(Fraction(1, 8)) == Decimal("0.13")  # 0.125: half up, where float rounding gives 0.12
    assert stats.round2(Fraction(-1, 8)) == Decimal("-0.13")
    assert stats.round2(Fraction(1005, 1000)) == Decimal("1.01")  # float(1.005) is 1.00499…
    assert stats.round2(None) is None and stats.round2(Fraction(0)) == 0


def test_standard_figures_and_no_data_is_none():
    assert stats.csat_pct(Counter({5: 2, 4: 1, 3: 3})) == 50
    assert stats.nps(Counter({10: 1, 9: 1, 8: 5, 6: 3})) == Fraction(100 * (2 - 3), 10)
    assert stats.ces_avg(Counter({7: 1, 1: 2})) == 3
    assert stats.csat_pct(Counter()) is None and stats.nps({}) is None and stats.mean({}) is None
    tally = stats.TypeTally()
    tally.add_rating({1: 1, 10: 1}, 10)
    tally.add_rating({3: 1}, 5)
    assert tally.figures()["rating_pct"] == Decimal("50.00") and tally.figures()["csat_pct"] is None


def fields(**kwargs) -> list[str]:
    with pytest.raises(InvalidInput) as raised:
        parse_query(**{"from_": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z", **kwargs})
    return [error["field"] for error in raised.value.extensions["errors"]]


def test_parse_query_names_every_bad_field():
    assert fields(from_="yesterday") == ["from"]
    assert fields(from_="2026-03-01T00:00:00") == ["from"]  # no offset
    assert fields(from_="2026-03-01") == ["from"]
    assert fields(to="2026-03-01T00:00:00+00:00") == ["to"]  # not after from
    assert fields(to="2027-04-06T00:00:00Z") == ["to"]  # over 400 days
    assert fields(tz="Mars/Olympus") == ["tz"] and fields(tz="../../etc/passwd") == ["tz"] and fields(tz="") == ["tz"]
    assert fields(interval="hour") == ["interval"]
    assert fields(from_="x", to="y", tz="Nowhere", interval="year") == ["from", "to", "tz", "interval"]
    query = parse_query(from_="2026-03-01T08:00:00+08:00", to="2026-03-02T00:00:00z", tz="Asia/Kolkata", interval="week")
    assert query.start == datetime(2026, 3, 1, tzinfo=UTC) and query.end == datetime(2026, 3, 2, tzinfo=UTC)
    assert query.tz.key == "Asia/Kolkata" and query.interval == "week"


def local(edges, zone):
    return [edge.astimezone(ZoneInfo(zone)).isoformat() for edge in edges]


def test_day_buckets_in_half_hour_zones():
    start, end = datetime(2026, 3, 1, 0, 0, tzinfo=UTC), datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert local(boundaries(start, end, ZoneInfo("Asia/Kolkata"), "day"), "Asia/Kolkata") == [
        "2026-03-01T00:00:00+05:30", "2026-03-02T00:00:00+05:30", "2026-03-03T00:00:00+05:30", "2026-03-04T00:00:00+05:30",
    ]
    assert boundaries(start, end, ZoneInfo("Asia/Kolkata"), "day")[1] == datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    # Adelaide: +10:30 in summer, +09:30 from 2026-04-05 03:00 local
    edges = boundaries(datetime(2026, 4, 3, tzinfo=UTC), datetime(2026, 4, 6, tzinfo=UTC), ZoneInfo("Australia/Adelaide"), "day")
    assert local(edges, "Australia/Adelaide") == [
        "2026-04-03T00:00:00+10:30", "2026-04-04T00:00:00+10:30", "2026-04-05T00:00:00+10:30",
        "2026-04-06T00:00:00+09:30", "2026-04-07T00:00:00+09:30",
    ]
    assert (edges[3] - edges[2]).total_seconds() == 25 * 3600  # the day the clocks go back


def test_new_york_days_and_weeks_around_the_march_change():
    zone = ZoneInfo("America/New_York")
    days = boundaries(datetime(2026, 3, 7, 12, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC), zone, "day")
    assert local(days, "America/New_York") == [
        "2026-03-07T00:00:00-05:00", "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", "2026-03-10T00:00:00-04:00",
    ]
    assert (days[2] - days[1]).total_seconds() == 23 * 3600
    weeks = boundaries(datetime(2026, 3, 4, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC), zone, "week")
    assert local(weeks, "America/New_York") == [
        "2026-03-02T00:00:00-05:00", "2026-03-09T00:00:00-04:00", "2026-03-16T00:00:00-04:00", "2026-03-23T00:00:00-04:00",
    ]
    months = boundaries(datetime(2025, 12, 15, tzinfo=UTC), datetime(2026, 2, 1, 5, tzinfo=UTC), zone, "month")
    assert local(months, "America/New_York") == ["2025-12-01T00:00:00-05:00", "2026-01-01T00:00:00-05:00", "2026-02-01T00:00:00-05:00"]
    series = Series(datetime(2026, 3, 7, 12, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC), zone, "day")
    for moment in (datetime(2026, 3, 9, 3, 59, tzinfo=UTC), datetime(2026, 3, 9, 4, 0, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC)):
        series.add_response(moment)
    assert [item["responses"] for item in series.items()] == [0, 1, 1]


def test_a_skipped_midnight_starts_the_day_when_it_really_starts():
    # America/Santiago: clocks jump from 2025-09-07 00:00 to 01:00 (-04:00 -> -03:00)
    zone = ZoneInfo("America/Santiago")
    edges = boundaries(datetime(2025, 9, 6, 12, tzinfo=UTC), datetime(2025, 9, 8, 12, tzinfo=UTC), zone, "day")
    assert local(edges, "America/Santiago") == [
        "2025-09-06T00:00:00-04:00", "2025-09-07T01:00:00-03:00", "2025-09-08T00:00:00-03:00", "2025-09-09T00:00:00-03:00",
    ]
