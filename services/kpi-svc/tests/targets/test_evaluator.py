"""The evaluator on the database: hysteresis on a cumulative KPI that hovers at the threshold,
the minimum sample, each window kind in a non-UTC zone, and each change published once with two
evaluators at once; values checked against the closures fed (computed here, not read back)."""

import asyncio
from datetime import datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import select

from csq_common.bus.migration import upgrade_to_head
from csq_common.db import create_engine, session_factory, transaction
from kpi_svc.main import SERVICE_ROOT
from kpi_svc.targets.evaluator import apply, read_targets
from kpi_svc.targets.models import BREACHED, INSUFFICIENT, OK, KpiTargetState
from tests.targets.factories import TOPIC, add_target, closure, feed, run, target_events

T = datetime.fromisoformat
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 14:00 in Shanghai on Saturday 21 November 2026; the closures fall earlier that local day.
NOON = T("2026-11-21T06:00:00+00:00")

# (first-contact closures, other closures) added before each evaluation: FCR hovers at 80 %.
STEPS = [(8, 2), (0, 1), (2, 0), (2, 0), (0, 1), (4, 0), (0, 1), (9, 0), (5, 0), (1, 0), (0, 0)]


async def state_of(sessions, target_id: str) -> KpiTargetState:
    async with sessions() as session:
        return await session.get(KpiTargetState, target_id)


async def test_a_hovering_fcr_breaches_and_recovers_once_with_hysteresis_and_flaps_without(sessions):
    steady = await add_target(sessions, NOON - timedelta(days=1), recovery_margin=5, recover_after=2)
    jumpy = await add_target(sessions, NOON - timedelta(days=1), name="无滞回对照")
    good = bad = 0
    oracle: list[Fraction] = []
    for number, (first_contact, other) in enumerate(STEPS):
        now = NOON + timedelta(minutes=number)
        closed_at = NOON - timedelta(hours=3) + timedelta(minutes=number)
        await feed(sessions, [closure(closed_at, first_contact=True) for _ in range(first_contact)]
                   + [closure(closed_at, first_contact=False) for _ in range(other)])
        good, bad = good + first_contact, bad + other
        oracle.append(Fraction(100 * good, good + bad))
        await run(sessions, now)
        for target in (steady, jumpy):
            state = await state_of(sessions, target.id)
            assert (state.value, state.count) == (float(oracle[-1]), good + bad)

    # Without hysteresis: one event per crossing of 80 % (computed from the oracle values).
    crossings, below = [], False
    for value in oracle:
        if (value < 80) != below:
            below = value < 80
            crossings.append("kpi.target_breached" if below else "kpi.target_recovered")
    events = await target_events(sessions)
    jumpy_events = [e.type for _, key, e in events if key == jumpy.id]
    assert jumpy_events == crossings and len(crossings) >= 6

    # With a 5-point margin and two evaluations to recover: one breach at the first dip, one
    # recovery at the second evaluation in a row at or above 85 %.
    steady_events = [e for _, key, e in events if key == steady.id]
    assert [e.type for e in steady_events] == ["kpi.target_breached", "kpi.target_recovered"]
    first_dip = next(i for i, value in enumerate(oracle) if value < 80)
    recovered = next(i for i in range(1, len(oracle)) if oracle[i] >= 85 and oracle[i - 1] >= 85)
    breach, recovery = (e.data for e in steady_events)
    assert breach["value"] == float(oracle[first_dip]) and recovery["value"] == float(oracle[recovered])
    assert T(breach["at"]) == NOON + timedelta(minutes=first_dip) and T(recovery["at"]) == NOON + timedelta(minutes=recovered)
    assert {k: breach[k] for k in ("target_id", "metric", "scope", "window", "tz", "threshold", "direction")} == {
        "target_id": steady.id, "metric": "fcr_pct", "scope": {"team_id": "billing"}, "window": "today", "tz": "Asia/Shanghai",
        "threshold": 80.0, "direction": "at_least",
    }
    assert {topic for topic, _, _ in events} == {TOPIC}
    assert (await state_of(sessions, steady.id)).state == OK


async def test_below_the_minimum_sample_the_state_is_insufficient_data_and_nothing_is_published(sessions):
    target = await add_target(sessions, NOON - timedelta(days=1), min_sample=10, team_id=None)
    await feed(sessions, [closure(NOON - timedelta(hours=1), first_contact=False, team=team) for team in ["billing", "tech"] * 4 + ["sales"]])
    await run(sessions, NOON)
    state = await state_of(sessions, target.id)
    assert (state.state, state.value, state.count) == (INSUFFICIENT, 0.0, 9)
    assert await target_events(sessions) == []
    await feed(sessions, [closure(NOON - timedelta(hours=1), first_contact=True, team="sales")])
    await run(sessions, NOON + timedelta(minutes=1))
    state = await state_of(sessions, target.id)
    assert (state.state, state.value, state.count) == (BREACHED, 10.0, 10)
    events = await target_events(sessions)
    assert [(e.type, e.data["scope"]) for _, _, e in events] == [("kpi.target_breached", {})]


async def test_each_window_kind_counts_the_closures_of_its_local_period(sessions):
    """Closures placed around the local boundaries in Kolkata (UTC+05:30); the expected counts
    come from each closure's local wall-clock date (and UTC quarter hours for the rolling hour)."""
    zone = ZoneInfo("Asia/Kolkata")
    now = T("2026-12-01T04:20:00+00:00")  # Tuesday 1 December, 09:50 in Kolkata
    instants = [
        T("2026-11-30T18:29:00+00:00"),  # 23:59 on Monday 30 November there: this week, not today, not this month
        T("2026-11-30T18:30:00+00:00"),  # local midnight: today
        T("2026-11-29T18:29:00+00:00"),  # Sunday 29 November 23:59 there: last week
        T("2026-11-29T18:31:00+00:00"),  # Monday 00:01: this week
        T("2026-12-01T03:29:00+00:00"),  # just before the rolling hour (03:30-04:30 UTC)
        T("2026-12-01T03:30:00+00:00"),
        T("2026-12-01T04:19:00+00:00"),
        T("2026-12-05T12:00:00+00:00"),  # later this week and month (a late clock): counted
        T("2026-12-31T18:29:00+00:00"),  # 23:59 on 31 December there: this month
        T("2026-12-31T18:30:00+00:00"),  # January there
    ]
    await feed(sessions, [closure(at, first_contact=True) for at in instants])
    local_now = now.astimezone(zone)
    expected = {
        "today": sum(at.astimezone(zone).date() == local_now.date() for at in instants),
        "this_week": sum(at.astimezone(zone).isocalendar()[:2] == local_now.isocalendar()[:2] for at in instants),
        "this_month": sum((at.astimezone(zone).year, at.astimezone(zone).month) == (2026, 12) for at in instants),
        "rolling_1h": sum(T("2026-12-01T03:30:00+00:00") <= at < T("2026-12-01T04:30:00+00:00") for at in instants),
    }
    assert expected == {"today": 4, "this_week": 7, "this_month": 6, "rolling_1h": 2}
    targets = {
        window: await add_target(sessions, now - timedelta(days=1), metric="tickets_closed", threshold=0, direction="at_least",
                                 window=window, tz="Asia/Kolkata", min_sample=1)
        for window in expected
    }
    await run(sessions, now)
    for window, target in targets.items():
        state = await state_of(sessions, target.id)
        assert (state.value, state.count) == (expected[window], expected[window]), window


async def test_two_evaluators_at_once_publish_each_change_once(sessions, database_url):
    target = await add_target(sessions, NOON - timedelta(days=1), breach_after=1)
    await feed(sessions, [closure(NOON - timedelta(hours=2), first_contact=False) for _ in range(6)])
    replica = create_engine(database_url)
    await upgrade_to_head(replica, SERVICE_ROOT)
    other = session_factory(replica)
    try:
        # Both read the same version before either writes: only the first write counts.
        readings = []
        for factory in (sessions, other):
            async with factory() as session:
                readings.append(await read_targets(session, now=NOON, min_gap=timedelta(0)))
        for factory, (reading,) in zip((other, sessions), readings):
            async with transaction(factory) as session:
                await apply(session, reading, topic=TOPIC, now=NOON)
        for minute in range(1, 4):
            now = NOON + timedelta(minutes=minute)
            await asyncio.gather(run(sessions, now), run(other, now), run(other, now, read_sessions=sessions))
        await feed(sessions, [closure(NOON - timedelta(hours=2), first_contact=True) for _ in range(30)])
        for minute in range(4, 8):
            now = NOON + timedelta(minutes=minute)
            await asyncio.gather(run(other, now), run(sessions, now))
    finally:
        await replica.dispose()
    events = await target_events(sessions)
    assert [(key, e.type) for _, key, e in events] == [(target.id, "kpi.target_breached"), (target.id, "kpi.target_recovered")]
    assert len({e.id for _, _, e in events}) == 2
    async with sessions() as session:
        state = (await session.execute(select(KpiTargetState))).scalar_one()
    assert (state.state, state.value, state.count) == (OK, float(Fraction(100 * 30, 36)), 36)
