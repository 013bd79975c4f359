"""The report's series: every week (Monday first) or month of the window in the caller's zone,
empty ones listed with nulls, across DST changes (America/New_York) and a +05:45 offset
(Asia/Kathmandu), compared with the oracle's bucketing of the generated reviews."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.reports import programme as oracle
from tests.reports.programme import END, NEW_YORK, START, report

KATHMANDU = ZoneInfo("Asia/Kathmandu")


def points(result: dict) -> list[dict]:
    """The series with its starts parsed (offset kept)."""
    return [{**point, "start": datetime.fromisoformat(point["start"]), "end": datetime.fromisoformat(point["end"])} for point in result["series"]]


@pytest.mark.parametrize(("zone", "interval"), [(NEW_YORK, "week"), (KATHMANDU, "week"), (KATHMANDU, "month"), (NEW_YORK, "month")])
async def test_buckets_match_the_oracle(client, generated, zone, interval):
    result = await report(client, interval=interval, tz=zone.key)
    assert (result["interval"], result["tz"]) == (interval, zone.key)
    expected = oracle.series(generated, START, END, zone, interval)
    got = points(result)
    assert [point["start"] for point in got] == [point["start"] for point in expected]
    assert [point["start"].utcoffset() for point in got] == [point["start"].utcoffset() for point in expected]
    assert [{k: v for k, v in point.items() if k not in ("start", "end")} for point in got] == [
        {k: v for k, v in point.items() if k != "start"} for point in expected
    ]
    assert all(got[i]["end"] == got[i + 1]["start"] for i in range(len(got) - 1))
    # The reviews of the series are the report's.
    assert sum(point["reviews"] for point in got) == result["summary"]["reviews"]


async def test_new_york_weeks_across_the_autumn_change(client, generated):
    got = points(await report(client, interval="week", tz="America/New_York"))
    starts = [point["start"] for point in got]
    assert [start.date().isoformat() for start in starts] == ["2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert [start.utcoffset() for start in starts[3:5]] == [timedelta(hours=-4), timedelta(hours=-5)]
    assert got[3]["end"] - got[3]["start"] == timedelta(hours=7 * 24 + 1)  # the week the clocks go back
    gap = got[6]
    assert gap["reviews"] == 0 and gap["mean_score"] is None and gap["critical_fail_pct"] is None


async def test_kathmandu_buckets_start_at_local_midnight(client, generated):
    got = points(await report(client, interval="week", tz="Asia/Kathmandu"))
    assert {point["start"].utcoffset() for point in got} == {timedelta(hours=5, minutes=45)}
    assert all(point["start"].time().isoformat() == "00:00:00" and point["start"].weekday() == 0 for point in got)
    # One review at Sunday 23:50 local, one at Monday 00:10: on either side of the 26 October edge.
    edge = next(i for i, point in enumerate(got) if point["start"].date().isoformat() == "2026-10-26")
    expected = oracle.series(generated, START, END, KATHMANDU, "week")
    assert (got[edge - 1]["reviews"], got[edge]["reviews"]) == (expected[edge - 1]["reviews"], expected[edge]["reviews"])


async def test_an_empty_window_lists_every_bucket_with_nulls(client):
    # The spring change: Sunday 8 March 2026 in New York; the week of 2 March has 167 hours.
    start, end = datetime(2026, 3, 2, tzinfo=NEW_YORK), datetime(2026, 3, 23, tzinfo=NEW_YORK)
    got = points(await report(client, **{"from": start.isoformat(), "to": end.isoformat()}, interval="week", tz="America/New_York"))
    assert [point["start"] for point in got] == [start, datetime(2026, 3, 9, tzinfo=NEW_YORK), datetime(2026, 3, 16, tzinfo=NEW_YORK)]
    assert got[0]["end"] - got[0]["start"] == timedelta(hours=7 * 24 - 1)
    assert all(point["reviews"] == 0 and point["mean_score"] is None and point["critical_fail_pct"] is None for point in got)
    # A window off bucket edges: the first and last bucket reach beyond it.
    months = points(await report(client, **{"from": "2026-01-15T00:00:00+05:45", "to": "2026-03-02T00:00:00+05:45"}, interval="month", tz="Asia/Kathmandu"))
    assert [point["start"].date().isoformat() for point in months] == ["2026-01-01", "2026-02-01", "2026-03-01"]
