"""Series, breakdowns, peak hours and leaderboards of the feedback, QA, automatic QA and call KPIs
(SQLite and PostgreSQL) against read_oracle / voice_oracle, and their metric names over HTTP."""

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kpi_svc.read.grouped import Selection
from kpi_svc.read.service import LOWER_IS_BETTER, breakdown, leaderboard, peak_hours, series
from kpi_svc.voice.kpis import VOICE_METRICS
from tests.factories import generate
from tests.read.test_breakdown import apply
from tests.read.test_series import GROUP_OF, GROUPINGS
from tests.read_oracle import assert_value, grouped_kpis, label, labels_between
from tests.survey_factories import SurveyHistory
from tests.voice_factories import CHECKS, generate_voice
from tests import voice_oracle

T = datetime.fromisoformat
COMPLIANCE = tuple(f"compliance_pct.{check}" for check in CHECKS[:2])
METRICS = (*VOICE_METRICS, *COMPLIANCE)
READER = {"Authorization": "Bearer reader-key"}


async def seed(sessions, rng, origin=T("2026-11-20T22:00:00+00:00")):
    tickets = generate(rng, 120, origin=origin)
    voice = generate_voice(rng, 150, origin=origin)
    await apply(sessions, rng, tickets.events + voice.events)
    return tickets, voice


def expected(want: dict, key, metric: str) -> tuple[object, int]:
    """The oracle's value and count of ``metric`` in one (group, bucket); nothing there: count 0."""
    values, counts = want.get(key, ({}, {}))
    count = counts.get(metric, 0)
    return (values[metric] if count else None), count


CASES = [
    ("UTC", "hour", "2026-11-20T22:00:00+00:00", "2026-11-22T02:00:00+00:00", "2026-11-20T22:00:00+00:00"),
    ("Asia/Kathmandu", "day", "2026-11-20T00:00:00+05:45", "2026-11-24T00:00:00+05:45", "2026-11-20T22:00:00+00:00"),
    ("America/New_York", "hour", "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", "2026-10-31T20:00:00+00:00"),
]


@pytest.mark.parametrize(("zone", "interval", "start", "end", "origin"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
async def test_voice_series_match_the_oracle_for_every_metric_and_grouping(sessions, zone, interval, start, end, origin):
    rng = random.Random(f"voice{zone}{interval}")
    tickets, voice = await seed(sessions, rng, T(origin))
    tz, start, end = ZoneInfo(zone), T(start), T(end)
    expected_labels = labels_between(start, end, interval, tz)

    def bucket_of(moment):
        return label(moment, interval, tz) if start <= moment < end else None

    seen = 0
    for selection in GROUPINGS:
        filters = {"team": selection.team_id, "agent": selection.agent_id, "channel": selection.channel}
        want = grouped_kpis(
            tickets, SurveyHistory(), bucket_of, GROUP_OF[selection.by], voice=voice, **{k: v for k, v in filters.items() if v}
        )
        for metric in METRICS:
            async with sessions() as session:
                got = await series(session, metric=metric, start=start, end=end, interval=interval, tz_name=zone, selection=selection)
            listed = {next(iter(key.values())) if key else None: points for key, points in got.groups}
            wanted_groups = {group for (group, bucket) in want if expected(want, (group, bucket), metric)[1]}
            assert wanted_groups <= set(listed), (selection, metric)
            for group, points in listed.items():
                assert [label(p.start, interval, tz) for p in points] == expected_labels
                for point in points:
                    want_value, want_count = expected(want, (group, label(point.start, interval, tz)), metric)
                    context = f"{zone} {interval} {selection} group={group} {point.start.isoformat()}"
                    assert point.count == want_count, f"{context} {metric} count"
                    assert_value(point.value, want_value, metric, context)
                    seen += want_count
    assert seen > 1000


@pytest.mark.parametrize("by", ["team_id", "agent_id", "channel"])
async def test_voice_breakdowns_match_the_oracle(sessions, by):
    rng = random.Random(f"voice-breakdown-{by}")
    tickets, voice = await seed(sessions, rng)
    start, end = T("2026-11-20T23:45:00+00:00"), T("2026-11-22T06:30:00+00:00")
    group_of = GROUP_OF[by]
    for filters in ({}, {"team_id": "billing"} if by != "team_id" else {"channel": "hotline"}):
        oracle_filters = {name.removesuffix("_id"): value for name, value in filters.items()}
        want = grouped_kpis(
            tickets, SurveyHistory(), lambda m: "all" if start <= m < end else None, group_of, voice=voice, **oracle_filters
        )
        async with sessions() as session:
            got = await breakdown(
                session, start=start, end=end, by=by, metrics=",".join(METRICS), sort="complaints",
                selection=Selection(**filters),
            )
        assert {row.key for row in got.rows} >= {key for (key, _), (_, counts) in want.items() if any(counts.values())}
        for row in got.rows:
            for metric in METRICS:
                want_value, want_count = expected(want, (row.key, "all"), metric)
                if metric in ("complaints", "calls_offered") and want_value is None:
                    want_value = 0
                assert row.counts[metric] == want_count, (filters, row.key, metric)
                assert_value(row.values[metric], want_value, metric, f"{filters} {row.key}")
        complaints = [row.values["complaints"] for row in got.rows]
        assert complaints == sorted(complaints, reverse=True)


async def test_voice_leaderboards_and_peak_hours_match_the_oracle(sessions):
    rng = random.Random("voice-board")
    tickets, voice = await seed(sessions, rng)
    start, end = T("2026-11-20T00:00:00+00:00"), T("2026-11-23T00:00:00+00:00")
    want = grouped_kpis(tickets, SurveyHistory(), lambda m: "all" if start <= m < end else None, GROUP_OF["agent_id"], voice=voice)
    for metric, min_count in (("qa_score_avg", 8), ("asa_seconds", 10), ("complaint_per_100_closed", 15)):
        eligible = {key: values[metric] for (key, _), (values, counts) in want.items()
                    if key is not None and values.get(metric) is not None and counts[metric] >= min_count}
        assert eligible, metric
        async with sessions() as session:
            board = await leaderboard(session, metric=metric, start=start, end=end, min_count=min_count, limit=1000)
        assert {row.agent_id: row.value for row in board.rows} == eligible
        lower = metric in LOWER_IS_BETTER
        assert [row.value for row in board.rows] == sorted(eligible.values(), reverse=not lower)

    tz = ZoneInfo("Asia/Kolkata")
    window = (T("2026-11-20T05:00:00+05:30"), T("2026-11-24T05:00:00+05:30"))
    peak = grouped_kpis(tickets, SurveyHistory(), lambda m: label(m, "peak", tz) if window[0] <= m < window[1] else None, voice=voice)
    for metric in ("complaint_per_100_closed", "call_service_level_pct", COMPLIANCE[0]):
        async with sessions() as session:
            got = await peak_hours(session, metric=metric, start=window[0], end=window[1], tz_name="Asia/Kolkata", selection=Selection())
        for cell in got.cells:
            want_value, want_count = expected(peak, (None, (cell.weekday, cell.hour)), metric)
            assert cell.count == want_count, (metric, cell)
            assert_value(cell.value, want_value, metric, str(cell))
    assert sum(c.count for c in got.cells) > 0


async def test_voice_metrics_over_http(client):
    rng = random.Random("voice-http")
    voice = generate_voice(rng, 30)
    async with client.app.state.sessions() as session:
        from kpi_svc.consumers import handle_events

        await handle_events(session, voice.events)
        await session.commit()
    window = {"from": "2026-11-20T00:00:00Z", "to": "2026-11-23T00:00:00Z"}
    summary = (await client.get("/v1/kpis/summary", params=window, headers=READER)).json()
    want, want_counts = voice_oracle.voice_kpis(voice, T(window["from"]), T(window["to"]), 0)
    for metric, value in want.items():
        assert summary["values"][metric] == value and summary["counts"][metric] == want_counts[metric], metric
    series_ok = await client.get(
        "/v1/kpis/series", params={**window, "metric": "compliance_pct.greeting", "interval": "day"}, headers=READER
    )
    assert series_ok.status_code == 200, series_ok.text
    days = series_ok.json()
    assert sum(point["count"] for group in days["groups"] for point in group["points"]) == want_counts["compliance_pct.greeting"]
    for metric, field in (("compliance_pct.Greeting", "metric"), ("compliance_pct.", "metric"), ("complaints_total", "metric")):
        response = await client.get("/v1/kpis/series", params={**window, "metric": metric, "interval": "day"}, headers=READER)
        assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == [field], response.text
    bad = await client.get("/v1/kpis/breakdown", params={**window, "by": "team_id", "metrics": "qa_score_avg,compliance_pct.x y"}, headers=READER)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["metrics"]
    board = await client.get("/v1/kpis/leaderboard", params={**window, "metric": "qa_fail_pct", "min_count": "1"}, headers=READER)
    assert board.status_code == 200 and board.json()["direction"] == "lower_is_better"
