"""Breakdowns, leaderboards and peak hours over the stored aggregates (SQLite and PostgreSQL)
against read_oracle, with 230 agents: every metric per group in one read, sorted with nulls last,
paginated; leaderboards that leave out agents under the minimum sample; peak hours in zones with
30- and 45-minute offsets and across a DST change."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from csq_common.events import TicketClosed, TicketFirstResponded, TicketReopened
from kpi_svc.aggregates.rollup import fold_pending
from kpi_svc.consumers import handle_events
from kpi_svc.read.grouped import Selection
from kpi_svc.read.service import LOWER_IS_BETTER, METRICS, breakdown, leaderboard, peak_hours
from tests.factories import Closure, FirstResponse, History, Reopen, event, generate, ms, snapshot
from tests.read_oracle import assert_value, grouped_kpis, label
from tests.survey_factories import Answer, Credit, Invitation, SurveyHistory, answered, generate_surveys, invited

T = datetime.fromisoformat
DAY_START = T("2026-11-21T00:00:00+00:00")
TEAMS = ["售后一组", "billing", "tech", "sales", None]
CHANNELS = ["email", "chat", "phone", None]


def many_agents(rng: random.Random, agents: int = 230) -> tuple[History, SurveyHistory]:
    """Tickets and survey answers of ``agents`` agents on 21 November, from 0 to 45 closures each."""
    tickets, surveys = History(), SurveyHistory()
    for number in range(agents):
        agent, team = f"坐席-{number:03d}", TEAMS[number % len(TEAMS)]
        for serial in range(rng.choice([0, 1, 3, 12, 19, 20, 21, 45])):
            tid, channel = f"T-{number}-{serial}", rng.choice(CHANNELS)
            created = DAY_START + ms(rng.randrange(0, 20 * 3600 * 1000))
            responded = created + ms(rng.randrange(0, 3600 * 1000))
            closed = responded + ms(rng.randrange(60_000, 3 * 3600 * 1000))
            handle = rng.choice([None, float(rng.randrange(30, 900))])
            contacts = rng.choice([1, 1, 2])
            fields = dict(first_response_at=responded, closed_at=closed, handle_seconds=handle, contact_count=contacts)
            snap = snapshot(tid, team, agent, channel, created, **fields)
            tickets.events += [event(TicketFirstResponded, snap, responded), event(TicketClosed, snap, closed)]
            tickets.first_responses.append(FirstResponse(tid, responded, team, agent, channel, (responded - created) // ms(1)))
            tickets.closures.append(Closure(tid, closed, team, agent, channel, (closed - created) // ms(1), handle, contacts == 1))
            if rng.random() < 0.1:
                reopened = closed + ms(rng.randrange(1000, 3600 * 1000))
                tickets.events.append(event(TicketReopened, snapshot(tid, team, agent, channel, created, reopen_count=1), reopened))
                tickets.reopens.append(Reopen(tid, reopened, team, agent, channel))
            if rng.random() < 0.3:
                iid, answered_at = f"I-{tid}", closed + ms(rng.randrange(1000, 3600 * 1000))
                value = rng.randint(1, 5)
                surveys.events += [
                    invited(iid, closed, team, agent, channel),
                    answered(f"R-{tid}", answered_at, [("csat", "attitude", value)], team, agent, channel,
                             invitation_id=iid, invited_at=closed),
                ]
                surveys.invitations.append(Invitation(iid, closed, team, agent, channel))
                surveys.credits.append(Credit(closed, team, agent, channel))
                surveys.answers.append(Answer(answered_at, team, agent, channel, "csat", "attitude", value))
    return tickets, surveys


async def apply(sessions, rng: random.Random, events: list) -> None:
    """In batches, with part of the deltas rolled up after some of them (aggregates and pending
    deltas mixed, as the running service has them)."""
    rng.shuffle(events)
    for position in range(0, len(events), 500):
        async with sessions() as session:
            await handle_events(session, events[position : position + 500])
            await session.commit()
        if rng.random() < 0.6:
            async with sessions() as session:
                await fold_pending(session, limit=rng.randrange(100, 2000))
                await session.commit()


def in_window(start, end):
    return lambda moment: "all" if start <= moment < end else None


def agent_of(fact):
    return fact.agent


def ordered_expectation(want: dict, metric: str, descending: bool) -> list:
    """Group keys sorted by the oracle's value of ``metric`` (nulls last), ties by key (None first)."""
    def position(key):
        value = want[(key, "all")][0][metric]
        key_order = (key is not None, key or "")
        if value is None:
            return (1, 0, *key_order)
        return (0, -value if descending else value, *key_order)
    return sorted((key for key, _ in want), key=position)


async def test_a_breakdown_of_230_agents_is_exact_sorted_and_paginated(sessions):
    rng = random.Random(230)
    tickets, surveys = many_agents(rng)
    await apply(sessions, rng, tickets.events + surveys.events)
    start, end = DAY_START, DAY_START + timedelta(days=2)
    want = grouped_kpis(tickets, surveys, in_window(start, end), agent_of)
    assert len(want) > 200

    async with sessions() as session:
        whole = await breakdown(session, start=start, end=end, by="agent_id", limit=1000)
    assert whole.next_cursor is None and whole.by == "agent_id" and (whole.start, whole.end) == (start, end)
    assert [row.key for row in whole.rows] == sorted(key for key, _ in want)  # by key by default
    for row in whole.rows:
        values, counts = want[(row.key, "all")]
        assert list(row.values) == list(METRICS) and row.counts == {m: counts[m] for m in METRICS}, row.key
        for metric in METRICS:
            assert_value(row.values[metric], values[metric], metric, row.key)

    for metric, order in [("frt_avg_seconds", "asc"), ("csat_pct", "desc"), ("resolution_p90_seconds", "desc"), ("tickets_closed", None)]:
        pages, cursor = [], None
        while True:
            async with sessions() as session:
                page = await breakdown(
                    session, start=start, end=end, by="agent_id", metrics=f"{metric},tickets_closed", sort=metric,
                    order=order, limit=37, cursor=cursor,
                )
            assert len(page.rows) <= 37 and all(list(row.values) == list(dict.fromkeys([metric, "tickets_closed"])) for row in page.rows)
            pages.append(page.rows)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert len(pages) == -(-len(want) // 37)
        got = [row.key for rows in pages for row in rows]
        expected = ordered_expectation(want, metric, descending=order != "asc")
        if metric in ("resolution_p90_seconds",):  # the sketch's values may tie or swap close neighbours
            assert sorted(got, key=str) == sorted(expected, key=str)
            values = [row.values[metric] for rows in pages for row in rows]
            present = [v for v in values if v is not None]
            assert present == sorted(present, reverse=True) and values[len(present):] == [None] * (len(values) - len(present))
        else:
            assert got == expected, metric

    async with sessions() as session:
        backwards = await breakdown(session, start=start, end=end, by="agent_id", metrics="aht_seconds", order="desc", limit=100)
        rest = await breakdown(session, start=start, end=end, by="agent_id", metrics="aht_seconds", order="desc", limit=1000,
                               cursor=backwards.next_cursor)
    assert [row.key for row in backwards.rows + rest.rows] == sorted((key for key, _ in want), key=lambda k: (k is not None, k or ""), reverse=True)


#: A window read edge by edge, and one read as whole days less an hour at each end (tickets: less
#: four 15-minute rows; surveys: less one hour row).
BREAKDOWN_WINDOWS = {
    "partial days": (T("2026-11-20T23:45:00+00:00"), T("2026-11-22T06:30:00+00:00")),
    "days less an hour": (T("2026-11-21T01:00:00+00:00"), T("2026-11-22T23:00:00+00:00")),
}


@pytest.mark.parametrize("window", list(BREAKDOWN_WINDOWS))
@pytest.mark.parametrize("by", ["team_id", "channel"])
async def test_breakdowns_by_team_and_channel_with_filters_match_the_oracle(sessions, by, window):
    rng = random.Random(by)
    tickets = generate(rng, 200)
    surveys = generate_surveys(rng, 80)
    await apply(sessions, rng, tickets.events + surveys.events)
    start, end = BREAKDOWN_WINDOWS[window]
    for filters in ({}, {"agent_id": "A-1"}, {"channel": "chat"} if by == "team_id" else {"team_id": "billing"}):
        group_of = (lambda f: f.team) if by == "team_id" else (lambda f: f.channel)
        oracle_filters = {name.removesuffix("_id"): value for name, value in filters.items()}
        want = grouped_kpis(tickets, surveys, in_window(start, end), group_of, **oracle_filters)
        async with sessions() as session:
            got = await breakdown(session, start=start, end=end, by=by, selection=Selection(**filters))
        assert {row.key for row in got.rows} >= {key for (key, _), (_, counts) in want.items() if any(counts.values())}
        for row in got.rows:
            values, counts = want.get((row.key, "all"), ({m: None for m in METRICS}, {m: 0 for m in METRICS}))
            for metric in METRICS:
                assert row.counts[metric] == counts[metric], (filters, row.key, metric)
                want_value = 0 if metric == "tickets_closed" and values[metric] is None else values[metric]
                assert_value(row.values[metric], want_value, metric, f"{filters} {row.key}")


async def test_leaderboards_rank_only_agents_with_the_minimum_sample(sessions):
    rng = random.Random("leaderboard")
    tickets, surveys = many_agents(rng)
    await apply(sessions, rng, tickets.events + surveys.events)
    start, end = DAY_START, DAY_START + timedelta(days=2)
    for metric, team, min_count in [("frt_avg_seconds", None, 20), ("fcr_pct", "billing", 20), ("tickets_closed", None, 20),
                                    ("csat_pct", None, 5), ("aht_seconds", "售后一组", 12), ("reopen_pct", None, 21)]:
        want = grouped_kpis(tickets, surveys, in_window(start, end), agent_of, **({"team": team} if team else {}))
        eligible = {key: values[metric] for (key, _), (values, counts) in want.items()
                    if key is not None and values[metric] is not None and counts[metric] >= min_count}
        below = sum(1 for (key, _), (values, counts) in want.items()
                    if key is not None and values[metric] is not None and counts[metric] < min_count)
        assert eligible and below, metric  # the data has agents on both sides of the minimum
        async with sessions() as session:
            board = await leaderboard(session, metric=metric, start=start, end=end, team_id=team, min_count=min_count, limit=1000)
        lower = metric in LOWER_IS_BETTER
        assert board.direction == ("lower_is_better" if lower else "higher_is_better")
        assert board.below_min_count == below
        assert {row.agent_id: row.value for row in board.rows} == eligible
        assert all(row.count >= min_count for row in board.rows)
        values = [row.value for row in board.rows]
        assert values == sorted(values, reverse=not lower)
        for before, after in zip(board.rows, board.rows[1:]):
            assert after.rank == (before.rank if after.value == before.value else board.rows.index(after) + 1)
        async with sessions() as session:
            top = await leaderboard(session, metric=metric, start=start, end=end, team_id=team, min_count=min_count, limit=3)
        assert top.rows == board.rows[:3]


PEAK_CASES = [  # zone, window (local hour boundaries), origin of the generated events
    ("Asia/Kolkata", "2026-11-20T05:00:00+05:30", "2026-11-27T05:00:00+05:30", "2026-11-20T22:00:00+00:00"),
    ("Asia/Kathmandu", "2026-11-20T00:00:00+05:45", "2026-11-24T13:00:00+05:45", "2026-11-20T22:00:00+00:00"),
    ("America/New_York", "2026-10-31T00:00:00-04:00", "2026-11-04T00:00:00-05:00", "2026-10-31T20:00:00+00:00"),
]


@pytest.mark.parametrize(("zone", "start", "end", "origin"), PEAK_CASES, ids=[c[0] for c in PEAK_CASES])
async def test_peak_hours_match_the_oracle(sessions, zone, start, end, origin):
    rng = random.Random(zone)
    tickets = generate(rng, 250, origin=T(origin))
    surveys = generate_surveys(rng, 60, origin=T(origin))
    await apply(sessions, rng, tickets.events + surveys.events)
    tz, start, end = ZoneInfo(zone), T(start), T(end)

    def bucket_of(moment):
        return label(moment, "peak", tz) if start <= moment < end else None

    for filters in ({}, {"team_id": "billing"}):
        want = grouped_kpis(tickets, surveys, bucket_of, **{k.removesuffix("_id"): v for k, v in filters.items()})
        for metric in METRICS:
            async with sessions() as session:
                got = await peak_hours(session, metric=metric, start=start, end=end, tz_name=zone, selection=Selection(**filters))
            assert got.start == start and got.tz == zone
            assert [(c.weekday, c.hour) for c in got.cells] == [(d, h) for d in range(1, 8) for h in range(24)]
            assert sum(c.count for c in got.cells) == sum(counts[metric] for (_, counts) in want.values())
            for cell in got.cells:
                values, counts = want.get((None, (cell.weekday, cell.hour)), (None, None))
                want_count = counts[metric] if counts else 0
                assert cell.count == want_count, (zone, filters, metric, cell)
                assert_value(cell.value, values[metric] if want_count else None, metric, f"{zone} {filters} {cell}")


async def test_a_group_counted_only_in_the_subtracted_part_of_a_bucket_is_not_listed(sessions):
    """1 October to 30 October 23:00 reads as October less 30 October 23:00-24:00 and 31 October:
    an agent whose only closure falls there is not in the breakdown, nor is a team with none
    in the window; the agent's closure on 15 October is."""
    created = T("2026-10-31T08:00:00+00:00")
    late = snapshot("T-late", "night-shift", "A-night", "chat", created, status="closed", closed_at=created + timedelta(hours=1))
    early_created = T("2026-10-15T08:00:00+00:00")
    early = snapshot("T-early", "billing", "A-day", "chat", early_created, status="closed", closed_at=early_created + timedelta(hours=1))
    events = [event(TicketClosed, late, created + timedelta(hours=1)), event(TicketClosed, early, early_created + timedelta(hours=1))]
    async with sessions() as session:
        await handle_events(session, events)
        await session.commit()
    async with sessions() as session:
        await fold_pending(session)
        await session.commit()
    start, end = T("2026-10-01T00:00:00+00:00"), T("2026-10-30T23:00:00+00:00")
    async with sessions() as session:
        by_agent = await breakdown(session, start=start, end=end, by="agent_id", metrics="tickets_closed")
        by_team = await breakdown(session, start=start, end=end, by="team_id", metrics="tickets_closed")
        whole_month = await breakdown(session, start=start, end=T("2026-11-01T00:00:00+00:00"), by="agent_id", metrics="tickets_closed")
    assert [(row.key, row.values["tickets_closed"]) for row in by_agent.rows] == [("A-day", 1)]
    assert [(row.key, row.values["tickets_closed"]) for row in by_team.rows] == [("billing", 1)]
    assert [(row.key, row.values["tickets_closed"]) for row in whole_month.rows] == [("A-day", 1), ("A-night", 1)]
