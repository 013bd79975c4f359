"""Agent scorecards against read_oracle over generated events (SQLite and PostgreSQL): every
metric of the agent, of the agent's team (the one closed most in, or the one asked) and of the
previous period of the same length, with the change computed from independent previous values."""

import random
from datetime import datetime, timedelta

from kpi_svc.people.scorecard import scorecard
from kpi_svc.read.service import LOWER_IS_BETTER, METRICS
from tests.factories import History
from tests.oracle import PERCENTILES
from tests.people.appraisal_oracle import in_window
from tests.people.people_factories import add_work, apply
from tests.read_oracle import assert_value, grouped_kpis
from tests.survey_factories import SurveyHistory
from tests.targets.factories import add_target

T = datetime.fromisoformat
START, END = T("2026-11-10T00:00:00+08:00"), T("2026-11-20T00:00:00+08:00")
PREVIOUS = T("2026-10-31T00:00:00+08:00")


def two_periods(rng: random.Random) -> tuple[History, SurveyHistory]:
    """Agents working across both periods (and a little around them); 坐席-01 better now than
    before and in two teams, most of it in 售后一组."""
    tickets, surveys = History(), SurveyHistory()
    earliest = PREVIOUS - timedelta(days=2)
    span = END - earliest + timedelta(days=2)
    for number in range(6):
        team = ["售后一组", "billing"][number % 2]
        add_work(tickets, surveys, rng, agent=f"坐席-{number:02d}", team=team, closures=rng.randrange(20, 60),
                 quality=rng.random(), start=earliest, span=span)
    add_work(tickets, surveys, rng, agent="坐席-01", team="售后一组", closures=25, quality=0.2, start=PREVIOUS, span=START - PREVIOUS, serial="p")
    add_work(tickets, surveys, rng, agent="坐席-01", team="售后一组", closures=30, quality=0.9, start=START, span=END - START, serial="c")
    return tickets, surveys


def values(tickets, surveys, start, end, group_of, key):
    found = grouped_kpis(tickets, surveys, in_window(start, end), group_of)
    return found.get((key, "all"), ({m: (0 if m == "tickets_closed" else None) for m in METRICS}, {m: 0 for m in METRICS}))


def assert_change(got, now, before, metric, context):
    """The change is exact, except for percentiles: each side within the sketch's 1 %."""
    want = None if now is None or before is None else now - before
    if want is None or got is None:
        assert got == want, (context, metric)
    elif metric in PERCENTILES:
        assert abs(got - want) <= 0.01 * (abs(now) + abs(before)) + 1e-9, (context, metric, got, want)
    else:
        assert got == want, (context, metric, got, want)


async def test_the_scorecard_matches_the_oracle_with_the_team_and_the_previous_period(sessions):
    rng = random.Random("scorecard")
    tickets, surveys = two_periods(rng)
    await apply(sessions, rng, tickets.events + surveys.events)
    by_agent, by_team = (lambda f: f.agent), (lambda f: f.team)
    for agent, asked_team, want_team in [("坐席-01", None, "售后一组"), ("坐席-01", "billing", "billing"), ("坐席-02", None, "售后一组"),
                                         ("坐席-无人", None, None)]:
        async with sessions() as session:
            card = await scorecard(session, agent_id=agent, start=START, end=END, tz_name="Asia/Shanghai", team_id=asked_team)
        assert card.team_id == want_team and card.team_source == ("parameter" if asked_team else "most_closures" if want_team else None)
        assert (card.start, card.end, card.previous_start, card.previous_end) == (START, END, PREVIOUS, START)
        assert card.start.utcoffset() == timedelta(hours=8) and card.tz == "Asia/Shanghai"
        assert [line.metric for line in card.metrics] == list(METRICS)
        now, now_counts = values(tickets, surveys, START, END, by_agent, agent)
        before, before_counts = values(tickets, surveys, PREVIOUS, START, by_agent, agent)
        team, team_counts = values(tickets, surveys, START, END, by_team, want_team)
        for line in card.metrics:
            m, context = line.metric, f"{agent}/{asked_team}"
            assert (line.count, line.previous_count) == (now_counts[m], before_counts[m]), (context, m)
            assert_value(line.value, now[m], m, context)
            assert_value(line.previous_value, before[m], m, context)
            if want_team:
                assert line.team_count == team_counts[m], (context, m)
                assert_value(line.team_value, team[m], m, context)
            else:
                assert line.team_value is None or (m == "tickets_closed" and line.team_value == 0)
            assert_change(line.change, now[m], before[m], m, context)
            if line.change:
                assert line.improved == ((line.change < 0) == (m in LOWER_IS_BETTER)), (context, m)
            assert line.target is None and line.target_met is None  # no target set yet
    improved = {line.metric: line.improved for line in (await _card(sessions, "坐席-01")).metrics}
    assert improved["frt_avg_seconds"] and improved["fcr_pct"]  # 坐席-01 got better


async def _card(sessions, agent):
    async with sessions() as session:
        return await scorecard(session, agent_id=agent, start=START, end=END, tz_name=None)


async def test_the_scorecard_shows_the_agent_s_target_else_the_team_s_else_the_organisation_s(sessions):
    rng = random.Random("scorecard-targets")
    tickets, surveys = two_periods(rng)
    await apply(sessions, rng, tickets.events + surveys.events)
    now, _ = values(tickets, surveys, START, END, lambda f: f.agent, "坐席-01")
    created = START
    # fcr_pct: organisation, team and agent targets: the agent's wins; frt: the team's over the
    # organisation's; reopen: only a channel's and another team's, which do not apply.
    fcr = now["fcr_pct"]
    for name, scope, threshold in [("org", {"team_id": None}, 0.0), ("team", {"team_id": "售后一组"}, 0.0),
                                  ("agent", {"team_id": None, "agent_id": "坐席-01"}, fcr + 1)]:
        await add_target(sessions, created, name=f"fcr-{name}", metric="fcr_pct", direction="at_least", threshold=threshold, **scope)
    frt = now["frt_avg_seconds"]
    await add_target(sessions, created, name="frt-org", metric="frt_avg_seconds", direction="at_most", team_id=None, threshold=frt + 1000)
    await add_target(sessions, created, name="frt-team", metric="frt_avg_seconds", direction="at_most", team_id="售后一组", threshold=frt)
    await add_target(sessions, created, name="reopen-chat", metric="reopen_pct", direction="at_most", team_id=None, channel="chat", threshold=0.0)
    await add_target(sessions, created, name="reopen-billing", metric="reopen_pct", direction="at_most", team_id="billing", threshold=0.0)
    lines = {line.metric: line for line in (await _card(sessions, "坐席-01")).metrics}
    fcr_line, frt_line = lines["fcr_pct"], lines["frt_avg_seconds"]
    assert (fcr_line.target.scope, fcr_line.target.threshold, fcr_line.target.direction) == ("agent", fcr + 1, "higher_is_better")
    assert fcr_line.target_met is False  # one point short of the agent's own target
    assert (frt_line.target.scope, frt_line.target.threshold, frt_line.target.direction) == ("team", frt, "lower_is_better")
    assert frt_line.target_met is True  # exactly at an at_most threshold
    assert lines["reopen_pct"].target is None and lines["reopen_pct"].target_met is None
