"""sla_frt_pct and sla_resolution_pct in every read (series, breakdowns by agent and channel,
peak hours, leaderboards, scorecards, the summary and a target) against an oracle that walks each
generated ticket minute by minute (tests/sla/test_kpis.py), on both backends. Tickets are
reassigned now and then: a timer counts for the ticket's latest agent, as the timers table says."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from csq_common.db import utcnow
from csq_common.events import TicketAssigned, TicketCreated, TicketFirstResponded, TicketResolved
from kpi_svc.kpis.service import KpiFilters, kpi_summary
from kpi_svc.people.scorecard import scorecard
from kpi_svc.read.grouped import Selection
from kpi_svc.read.service import LOWER_IS_BETTER, METRICS, breakdown, leaderboard, peak_hours, series
from kpi_svc.targets.models import KpiTargetState
from tests.read_oracle import EVERYTHING
from tests.sla.factories import add_policy, count_due, feed, ticket_event
from tests.sla.test_kpis import oracle_outcome, status_at
from tests.sla_oracle import SlaOutcome, sla_kpis
from tests.targets.factories import add_target, run, target_events

T = datetime.fromisoformat
ORIGIN = T("2026-11-16T00:00:00+00:00")  # a Monday, long past: every target has fallen due by now
FRT, RESOLUTION = 60, 240  # minutes
TEAMS = ["售后一组", "billing"]
AGENTS = ["坐席-甲", "坐席-乙", "A-3"]
CHANNELS = ["email", "chat", "phone"]
SHANGHAI = ZoneInfo("Asia/Shanghai")
SLA = ("sla_frt_pct", "sla_resolution_pct")


async def seed(sessions, rng: random.Random, tickets: int = 90) -> list[SlaOutcome]:
    """Generated tickets fed in shuffled batches, the worker's counting pass run; their outcomes."""
    await add_policy(sessions, ORIGIN - timedelta(days=1), first_response_seconds=FRT * 60, resolution_seconds=RESOLUTION * 60)
    events, outcomes = [], []
    for number in range(tickets):
        ticket_id, team, channel = f"T-{number}", rng.choice(TEAMS), rng.choice(CHANNELS)
        first_agent, second_agent = rng.sample(AGENTS, 2)
        created = rng.randrange(0, 2400)
        reassigned = created + rng.randrange(1, 500) if rng.random() < 0.3 else None
        responded = created + rng.randrange(1, 150) if rng.random() < 0.8 else None
        resolved = max(responded or created, created + rng.randrange(30, 400)) + 1 if rng.random() < 0.6 else None
        timeline = {created: "new"}
        for _ in range(rng.randrange(0, 4)):
            minute = created + rng.randrange(1, 300)
            if minute not in (responded, resolved, reassigned) and (resolved is None or minute < resolved):
                timeline[minute] = rng.choice(["pending", "open", "on_hold"])

        def agent_at(minute):
            return second_agent if reassigned is not None and minute >= reassigned else first_agent

        def send(model, minute, status, **fields):
            events.append(ticket_event(
                model, ticket_id, ORIGIN + timedelta(minutes=minute), ORIGIN + timedelta(minutes=created), status=status, team=team,
                agent=agent_at(minute), channel=channel, **fields,
            ))

        for minute, status in sorted(timeline.items()):
            send(TicketCreated if minute == created else TicketAssigned, minute, status)
        if reassigned is not None:
            send(TicketAssigned, reassigned, status_at(timeline, reassigned))
        at = {minute: ORIGIN + timedelta(minutes=minute) for minute in (responded, resolved) if minute is not None}
        if responded is not None:
            send(TicketFirstResponded, responded, status_at(timeline, responded), first_response_at=at[responded])
        if resolved is not None:
            timeline[resolved] = "solved"
            send(TicketResolved, resolved, "solved", resolved_at=at[resolved], first_response_at=at.get(responded))
        latest_agent = agent_at(max([*timeline, reassigned or 0, responded or 0, resolved or 0]))
        for metric, stop, target in (("first_response", responded, FRT), ("resolution", resolved, RESOLUTION)):
            outcome = oracle_outcome(created, timeline, stop, target)
            if outcome is not None:
                met, minute = outcome
                outcomes.append(SlaOutcome(metric, ORIGIN + timedelta(minutes=minute), team, latest_agent, channel, met))
    rng.shuffle(events)
    for batch in range(0, len(events), 41):
        await feed(sessions, *events[batch : batch + 41])
    await count_due(sessions, utcnow())
    return outcomes


def of(outcomes, **dims) -> list[SlaOutcome]:
    return [o for o in outcomes if all(getattr(o, name) == value for name, value in dims.items())]


async def test_series_breakdowns_peak_hours_and_leaderboards_match_the_oracle(sessions):
    outcomes = await seed(sessions, random.Random(61))
    assert {(o.metric, o.met) for o in outcomes} == {(m, met) for m in ("first_response", "resolution") for met in (True, False)}
    assert all(name in METRICS and name not in LOWER_IS_BETTER for name in (*SLA, "sla_next_response_pct"))
    start, end = T("2026-11-16T00:00:00+08:00"), T("2026-11-21T00:00:00+08:00")
    async with sessions() as session:
        for metric in SLA:
            for selection, dim in ((Selection("agent_id"), "agent"), (Selection("channel", team_id="售后一组"), "channel")):
                found = await series(session, metric=metric, start=start, end=end, interval="day", tz_name="Asia/Shanghai",
                                     selection=selection)
                groups = {key[selection.by]: points for key, points in found.groups}
                filtered = of(outcomes, team="售后一组") if selection.team_id else outcomes
                assert set(groups) == {getattr(o, dim) for o in filtered if start <= o.at < end}
                for group, points in groups.items():
                    assert len(points) == 5
                    for point in points:
                        mine = of(filtered, **{dim: group})
                        values, counts = sla_kpis(mine, point.start, point.start + timedelta(days=1))
                        assert (point.value, point.count) == (values[metric] if counts[metric] else None, counts[metric]), (
                            metric, group, point.start
                        )
            hours = await series(session, metric=metric, start=ORIGIN, end=ORIGIN + timedelta(days=2), interval="hour", tz_name="UTC",
                                 selection=Selection())
            for point in hours.groups[0][1]:
                values, counts = sla_kpis(outcomes, point.start, point.start + timedelta(hours=1))
                assert (point.value, point.count) == (values[metric] if counts[metric] else None, counts[metric])

        for by, dim in (("agent_id", "agent"), ("channel", "channel")):
            table = await breakdown(session, start=start, end=end, by=by, metrics=",".join(SLA), sort="sla_frt_pct")
            assert {row.key for row in table.rows} == {getattr(o, dim) for o in outcomes if start <= o.at < end}
            for row in table.rows:
                values, counts = sla_kpis(of(outcomes, **{dim: row.key}), start, end)
                assert (row.values, row.counts) == ({m: values[m] for m in SLA}, {m: counts[m] for m in SLA}), row.key
            shown = [row.values["sla_frt_pct"] for row in table.rows]
            assert shown == sorted(shown, key=lambda value: (value is None, -(value or 0)))

        grid = await peak_hours(session, metric="sla_resolution_pct", start=start, end=end, tz_name="Asia/Shanghai",
                                selection=Selection(team_id="billing"))
        for cell in grid.cells:
            inside = [o for o in of(outcomes, team="billing") if start <= o.at < end
                      and (o.at.astimezone(SHANGHAI).isoweekday(), o.at.astimezone(SHANGHAI).hour) == (cell.weekday, cell.hour)]
            values, counts = sla_kpis(inside, *EVERYTHING)
            assert (cell.value, cell.count) == (values["sla_resolution_pct"], counts["sla_resolution_pct"])

        board = await leaderboard(session, metric="sla_frt_pct", start=start, end=end, min_count=1)
        assert board.direction == "higher_is_better"
        expected = {agent: sla_kpis(of(outcomes, agent=agent), start, end)[0]["sla_frt_pct"] for agent in AGENTS}
        assert [(row.agent_id, row.value) for row in board.rows] == sorted(
            ((agent, value) for agent, value in expected.items() if value is not None), key=lambda item: (-item[1], item[0])
        )

        summary = await kpi_summary(session, start=start, end=end, filters=KpiFilters(agent_id="坐席-甲", channel="chat"))
        values, counts = sla_kpis(of(outcomes, agent="坐席-甲", channel="chat"), start, end)
        assert {m: (summary.values[m], summary.counts[m]) for m in SLA} == {m: (values[m], counts[m]) for m in SLA}


async def test_the_scorecard_and_a_target_on_sla_frt_pct_match_the_oracle(sessions):
    outcomes = await seed(sessions, random.Random(62))
    start, end = T("2026-11-17T00:00:00+08:00"), T("2026-11-18T00:00:00+08:00")
    async with sessions() as session:
        card = await scorecard(session, agent_id="坐席-乙", start=start, end=end, tz_name="Asia/Shanghai", team_id="billing")
    lines = {line.metric: line for line in card.metrics}
    for metric in SLA:
        mine, _ = sla_kpis(of(outcomes, agent="坐席-乙"), start, end)
        team, _ = sla_kpis(of(outcomes, team="billing"), start, end)
        before, _ = sla_kpis(of(outcomes, agent="坐席-乙"), start - timedelta(days=1), start)
        line = lines[metric]
        assert (line.value, line.team_value, line.previous_value, line.direction) == (
            mine[metric], team[metric], before[metric], "higher_is_better"
        )

    # A target on the team's first-response SLA today (Shanghai), evaluated at the end of that day.
    now = end - timedelta(minutes=1)
    values, counts = sla_kpis(of(outcomes, team="billing"), start, end)
    assert counts["sla_frt_pct"] >= 3 and values["sla_frt_pct"] < 100
    target = await add_target(sessions, start, name="账单组首次响应达标率不低于 100%", metric="sla_frt_pct", threshold=100,
                              min_sample=3)
    await run(sessions, now)
    async with sessions() as session:
        state = (await session.execute(select(KpiTargetState).where(KpiTargetState.target_id == target.id))).scalar_one()
    assert (state.state, state.value, state.count) == ("breached", values["sla_frt_pct"], counts["sla_frt_pct"])
    breached = [e for _, _, e in await target_events(sessions) if e.type == "kpi.target_breached"]
    assert [e.data["metric"] for e in breached] == ["sla_frt_pct"]
