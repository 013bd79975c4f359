"""Series over the stored aggregates (SQLite and PostgreSQL) against read_oracle: buckets in
zones with 30- and 45-minute offsets and across DST changes, every bucket listed, every metric,
each grouping."""

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kpi_svc.aggregates.rollup import fold_pending
from kpi_svc.consumers import handle_events
from kpi_svc.read import grouped
from kpi_svc.read.grouped import MAX_RANGES_PER_STATEMENT, Selection, plan
from kpi_svc.read.service import METRICS, series
from kpi_svc.read.zones import boundaries
from tests.factories import generate
from tests.read_oracle import assert_value, grouped_kpis, label, labels_between
from tests.survey_factories import generate_surveys

T = datetime.fromisoformat

CASES = [  # zone, interval, window start, window end, origin of the generated events
    ("UTC", "hour", "2026-11-20T22:00:00+00:00", "2026-11-22T12:00:00+00:00", "2026-11-20T22:00:00+00:00"),
    ("Asia/Shanghai", "day", "2026-11-20T00:00:00+08:00", "2026-11-25T00:00:00+08:00", "2026-11-20T22:00:00+00:00"),
    ("Asia/Kolkata", "hour", "2026-11-21T03:00:00+05:30", "2026-11-22T20:00:00+05:30", "2026-11-20T22:00:00+00:00"),
    ("Asia/Kolkata", "day", "2026-11-20T00:00:00+05:30", "2026-11-25T00:00:00+05:30", "2026-11-20T22:00:00+00:00"),
    ("Asia/Kathmandu", "day", "2026-11-20T00:00:00+05:45", "2026-11-25T00:00:00+05:45", "2026-11-20T22:00:00+00:00"),
    ("Asia/Kathmandu", "week", "2026-11-16T00:00:00+05:45", "2026-11-30T00:00:00+05:45", "2026-11-20T22:00:00+00:00"),
    # Adelaide goes from +09:30 to +10:30 at 02:00 on 4 October 2026: a day of 23 hours
    ("Australia/Adelaide", "day", "2026-10-03T00:00:00+09:30", "2026-10-08T00:00:00+10:30", "2026-10-03T00:00:00+00:00"),
    ("Australia/Adelaide", "hour", "2026-10-04T00:00:00+09:30", "2026-10-05T00:00:00+10:30", "2026-10-03T06:00:00+00:00"),
    # New York goes from -04:00 to -05:00 at 02:00 on 1 November 2026: a day of 25 hours
    ("America/New_York", "day", "2026-10-31T00:00:00-04:00", "2026-11-04T00:00:00-05:00", "2026-10-31T12:00:00+00:00"),
    ("America/New_York", "hour", "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", "2026-10-31T20:00:00+00:00"),
    ("America/New_York", "week", "2026-10-26T00:00:00-04:00", "2026-11-09T00:00:00-05:00", "2026-10-31T12:00:00+00:00"),
    ("Asia/Shanghai", "month", "2026-10-01T00:00:00+08:00", "2026-12-01T00:00:00+08:00", "2026-10-31T12:00:00+00:00"),
    ("UTC", "month", "2026-10-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00", "2026-10-31T12:00:00+00:00"),
]
GROUPINGS = [
    Selection(),
    Selection("team_id"),
    Selection("agent_id"),
    Selection("channel"),
    Selection("agent_id", team_id="billing"),
    Selection("team_id", channel="chat"),
    Selection(None, agent_id="A-1"),
]
GROUP_OF = {
    None: lambda fact: None,
    "team_id": lambda fact: fact.team,
    "agent_id": lambda fact: fact.agent,
    "channel": lambda fact: fact.channel,
}


async def seed(sessions, rng: random.Random, origin: datetime):
    """Generated ticket and survey events, applied in batches with part of the deltas rolled up
    after some of them, so reads see aggregates and pending deltas mixed."""
    tickets = generate(rng, 160, origin=origin)
    surveys = generate_surveys(rng, 90, origin=origin)
    events = tickets.events + surveys.events
    rng.shuffle(events)
    position = 0
    while position < len(events):
        size = rng.randrange(1, 300)
        async with sessions() as session:
            await handle_events(session, events[position : position + size])
            await session.commit()
        position += size
        if rng.random() < 0.5:
            async with sessions() as session:
                await fold_pending(session, limit=rng.randrange(1, 400))
                await session.commit()
    return tickets, surveys


@pytest.mark.parametrize(("zone", "interval", "start", "end", "origin"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
async def test_series_match_the_oracle_for_every_metric_and_grouping(sessions, zone, interval, start, end, origin):
    rng = random.Random(f"{zone}{interval}")
    tickets, surveys = await seed(sessions, rng, T(origin))
    tz, start, end = ZoneInfo(zone), T(start), T(end)
    expected_labels = labels_between(start, end, interval, tz)

    def bucket_of(moment):
        return label(moment, interval, tz) if start <= moment < end else None

    for selection in GROUPINGS:
        filters = {"team": selection.team_id, "agent": selection.agent_id, "channel": selection.channel}
        want = grouped_kpis(tickets, surveys, bucket_of, GROUP_OF[selection.by], **{k: v for k, v in filters.items() if v})
        for metric in METRICS:
            async with sessions() as session:
                got = await series(
                    session, metric=metric, start=start, end=end, interval=interval, tz_name=zone, selection=selection
                )
            assert (got.metric, got.interval, got.tz) == (metric, interval, zone)
            assert got.start == start and got.start.utcoffset() == start.astimezone(tz).utcoffset()
            listed = {next(iter(key.values())) if key else None: points for key, points in got.groups}
            if selection.by is None:
                assert [key for key, _ in got.groups] == [{}]
            wanted_groups = {group for (group, _), (_, counts) in want.items() if counts[metric]}
            assert wanted_groups <= set(listed), (selection, metric)
            for group in set(listed) | wanted_groups:
                points = listed.get(group)
                assert points is not None or all(not want.get((group, b), ({}, {metric: 0}))[1][metric] for b in expected_labels)
                if points is None:
                    continue
                assert [label(p.start, interval, tz) for p in points] == expected_labels, (zone, interval)
                for point in points:
                    assert point.start.tzinfo is not None and point.start.utcoffset() == point.start.astimezone(tz).utcoffset()
                    values, counts = want.get((group, label(point.start, interval, tz)), (None, None))
                    want_count = counts[metric] if counts else 0
                    want_value = values[metric] if want_count else None
                    context = f"{zone} {interval} {selection} group={group} {point.start.isoformat()}"
                    assert point.count == want_count, f"{context} {metric} count"
                    assert_value(point.value, want_value, metric, context)


def test_a_plan_tiles_each_bucket_joins_adjacent_ranges_and_chunks_whole_buckets():
    tz = ZoneInfo("Asia/Kolkata")
    bounds = boundaries(T("2026-01-01T00:00:00+05:30"), T("2026-12-01T00:00:00+05:30"), "day", tz, max_buckets=1000)
    chunks = plan(bounds)
    assert [(first, end) for first, end, _ in chunks] == [
        (chunks[i][0], chunks[i + 1][0]) for i in range(len(chunks) - 1)
    ] + [(chunks[-1][0], len(bounds) - 1)]
    assert chunks[0][0] == 0 and len(chunks) > 1
    for first, end, ranges in chunks:
        assert 0 < len(ranges) <= MAX_RANGES_PER_STATEMENT
        assert ranges[0].start == bounds[first] and ranges[-1].end == bounds[end]
        assert all(a.end == b.start for a, b in zip(ranges, ranges[1:]))  # contiguous, no gap, no overlap
        assert all(a.resolution != b.resolution for a, b in zip(ranges, ranges[1:]))  # adjacent ones joined
        # a Kolkata day starts at 18:30 UTC: whole hours inside, the half hours at its edges from quarters
        assert {r.resolution for r in ranges} == {"hour", "q15"}
    utc = plan(boundaries(T("2026-01-01T00:00:00+00:00"), T("2026-12-01T00:00:00+00:00"), "day", ZoneInfo("UTC"), max_buckets=1000))
    assert [[(r.resolution, r.start, r.end) for r in ranges] for _, _, ranges in utc] == [
        [("day", T("2026-01-01T00:00:00+00:00"), T("2026-12-01T00:00:00+00:00"))]  # one range of day rows
    ]


async def test_a_series_read_in_several_statements_matches_the_oracle(sessions, monkeypatch):
    monkeypatch.setattr(grouped, "MAX_RANGES_PER_STATEMENT", 4)
    await test_series_match_the_oracle_for_every_metric_and_grouping(
        sessions, "Asia/Kathmandu", "day", "2026-11-20T00:00:00+05:45", "2026-11-25T00:00:00+05:45", "2026-11-20T22:00:00+00:00"
    )
    assert len(plan(boundaries(T("2026-11-20T00:00:00+05:45"), T("2026-11-25T00:00:00+05:45"), "day", ZoneInfo("Asia/Kathmandu"), max_buckets=9))) > 2
