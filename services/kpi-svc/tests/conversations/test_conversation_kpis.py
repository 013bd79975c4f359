"""frt/resolution in business hours, next response and repeat contacts (SQLite and PostgreSQL)
against conversation_oracle over generated tickets with calendars, message threads (several
customer messages before a reply, bots, private notes, replies at one instant), repeat customers
and redelivery: summary, breakdown, series and leaderboard."""

import random
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from csq_common.db import utcnow
from kpi_svc.aggregates.rollup import fold_pending
from kpi_svc.calendars.schemas import CalendarCreate
from kpi_svc.calendars.service import create_calendar
from kpi_svc.consumers import handle_events
from kpi_svc.conversations import contacts
from kpi_svc.conversations.contacts import customer_hash
from kpi_svc.conversations.models import CustomerTicket
from kpi_svc.kpis.service import KpiFilters, ticket_summary
from kpi_svc.read.grouped import Selection
from kpi_svc.read.service import breakdown, leaderboard, series
from tests import oracle
from tests.conversation_factories import CALENDARS, ORIGIN, erased_event, generate
from tests.read_oracle import assert_value, grouped_kpis, label
from tests.survey_factories import SurveyHistory

NEW_METRICS = ("frt_bh_avg_seconds", "resolution_bh_avg_seconds", "next_response_avg_seconds", "repeat_contact_pct")
EVERYTHING = (ORIGIN - timedelta(days=2), ORIGIN + timedelta(days=40))
FILTERS = [{}, {"team": "billing"}, {"team": "tech"}, {"team": "sales"}, {"channel": "wechat"}, {"agent": "A-1"},
           {"agent": "A-9"}, {"team": "billing", "channel": "chat"}]


async def create_calendars(sessions, specs=CALENDARS) -> None:
    async with sessions() as session:
        for spec in specs:
            body = CalendarCreate(
                name=spec.name, tz=spec.tz, hours=spec.hours, holidays=spec.holidays,
                extra_working_days=spec.extra_working_days, team_ids=spec.team_ids, default=spec.default,
            )
            await create_calendar(session, body, now=utcnow())
        await session.commit()


async def deliver(sessions, rng: random.Random, events: list) -> None:
    """In order, in batches of random sizes, part of the deltas rolled up after some of them."""
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


def as_filters(f: dict) -> KpiFilters:
    return KpiFilters(team_id=f.get("team"), agent_id=f.get("agent"), channel=f.get("channel"))


async def test_every_ticket_kpi_matches_the_oracle_with_calendars_threads_and_repeat_customers(sessions):
    rng = random.Random(16)
    generated = generate(rng, 160)
    history = generated.history
    # the data exercises every rule
    assert sum(c.repeat for c in history.closures) > 5 and sum(not c.repeat for c in history.closures) > 5
    assert len(history.next_responses) > 100 and len({w.agent for w in history.next_responses}) > 4
    assert any(f.frt_bh_ms < f.frt_ms for f in history.first_responses)
    await create_calendars(sessions)
    await deliver(sessions, rng, generated.events)

    windows = [EVERYTHING, (ORIGIN + timedelta(days=6), ORIGIN + timedelta(days=13, hours=5, minutes=45))]
    for start, end in windows:
        for f in FILTERS:
            async with sessions() as session:
                got = await ticket_summary(session, start=start, end=end, filters=as_filters(f))
            want_values, want_counts = oracle.kpis(history, start, end, **f)
            oracle.assert_same(got.values, want_values, f"{start}..{end} {f}")
            assert got.counts == want_counts, f
    whole, _ = oracle.kpis(history, *EVERYTHING)
    assert all(whole[m] is not None for m in NEW_METRICS)

    start, end = EVERYTHING
    for by, group_of in (("team_id", lambda f: f.team), ("agent_id", lambda f: f.agent), ("channel", lambda f: f.channel)):
        want = grouped_kpis(history, SurveyHistory(), lambda m: "all" if start <= m < end else None, group_of)
        async with sessions() as session:
            got = await breakdown(session, start=start, end=end, by=by, metrics=",".join(NEW_METRICS), limit=1000)
        assert sorted((row.key is not None, row.key or "") for row in got.rows) == sorted(
            (key is not None, key or "") for key, _ in want
        )
        for row in got.rows:
            values, counts = want[(row.key, "all")]
            for metric in NEW_METRICS:
                assert_value(row.values[metric], values[metric], metric, f"{by}={row.key}")
                assert row.counts[metric] == counts[metric], (by, row.key, metric)

    tz = ZoneInfo("Asia/Shanghai")
    day_start = datetime(2026, 9, 24, tzinfo=tz)
    day_end = day_start + timedelta(days=24)
    for metric in NEW_METRICS:
        async with sessions() as session:
            got = await series(session, metric=metric, start=day_start, end=day_end, interval="day", tz_name="Asia/Shanghai",
                               selection=Selection(by="team_id"))
        want = grouped_kpis(history, SurveyHistory(), lambda m: label(m, "day", tz), lambda f: f.team)
        for key, points in got.groups:
            team = key["team_id"]
            assert len(points) == 24
            for point in points:
                values, counts = want.get((team, point.start.date()), ({metric: None}, {metric: 0}))
                assert_value(point.value, values[metric], metric, f"{team} {point.start}")
                assert point.count == counts[metric]

    for metric in ("next_response_avg_seconds", "resolution_bh_avg_seconds"):
        want = grouped_kpis(history, SurveyHistory(), lambda m: "all" if start <= m < end else None, lambda f: f.agent)
        async with sessions() as session:
            board = await leaderboard(session, metric=metric, start=start, end=end, min_count=5)
        eligible = sorted(
            ((values[metric], key) for (key, _), (values, counts) in want.items()
             if key is not None and values[metric] is not None and counts[metric] >= 5),
        )
        assert [(row.value, row.agent_id) for row in board.rows] == eligible  # lower is better


async def test_without_any_calendar_the_business_hours_kpis_are_null(sessions):
    generated = generate(random.Random(3), 20)
    await deliver(sessions, random.Random(4), generated.events)
    async with sessions() as session:
        got = await ticket_summary(session, start=EVERYTHING[0], end=EVERYTHING[1])
    assert got.values["tickets_closed"] > 0 and got.values["frt_avg_seconds"] is not None
    assert got.values["frt_bh_avg_seconds"] is None and got.counts["frt_bh_avg_seconds"] == 0
    assert got.values["resolution_bh_avg_seconds"] is None and got.counts["resolution_bh_avg_seconds"] == 0


async def test_a_calendar_created_later_applies_to_facts_counted_after_it_only(sessions):
    """Past facts keep the calendars of their time (a rebuild recomputes them)."""
    rng = random.Random(5)
    generated = generate(rng, 60)
    history = generated.history
    half = len(generated.events) // 2
    await deliver(sessions, rng, generated.events[:half])
    async with sessions() as session:
        before = await ticket_summary(session, start=EVERYTHING[0], end=EVERYTHING[1])
    assert before.counts["frt_bh_avg_seconds"] == 0
    await create_calendars(sessions)
    await deliver(sessions, rng, generated.events[half:])
    async with sessions() as session:
        after = await ticket_summary(session, start=EVERYTHING[0], end=EVERYTHING[1])
    # only the first responses whose first delivery came after the calendars are in business hours
    seen_early = {e.data["ticket"]["id"] for e in generated.events[:half] if e.type == "ticket.first_responded"}
    late = [f for f in history.first_responses if f.ticket_id not in seen_early]
    assert after.counts["frt_bh_avg_seconds"] == len(late) > 0
    assert after.values["frt_bh_avg_seconds"] == float(Fraction(sum(f.frt_bh_ms for f in late), 1000 * len(late)))


async def test_customer_erased_deletes_the_customers_tickets_and_keeps_the_kpis(sessions):
    rng = random.Random(7)
    generated = generate(rng, 40)
    await deliver(sessions, rng, generated.events)
    customer = next(c for c in generated.customers.values() if c)
    hashed = customer_hash(customer)
    async with sessions() as session:
        before = await ticket_summary(session, start=EVERYTHING[0], end=EVERYTHING[1])
        rows = await session.scalar(select(func.count()).select_from(CustomerTicket).where(CustomerTicket.customer_hash == hashed))
        others = await session.scalar(select(func.count()).select_from(CustomerTicket).where(CustomerTicket.customer_hash != hashed))
        stored = set(await session.scalars(select(CustomerTicket.customer_hash)))
    assert not stored & set(generated.customers.values())  # no CRM id is stored as it is
    assert rows == sum(1 for c in generated.customers.values() if c == customer) > 0
    at = datetime(2026, 10, 20, tzinfo=timezone.utc)
    async with sessions() as session:
        await handle_events(session, [erased_event(customer, at), erased_event(customer, at)])
        await session.commit()
    async with sessions() as session:
        after = await ticket_summary(session, start=EVERYTHING[0], end=EVERYTHING[1])
        left = await session.scalar(select(func.count()).select_from(CustomerTicket).where(CustomerTicket.customer_hash == hashed))
        still = await session.scalar(select(func.count()).select_from(CustomerTicket).where(CustomerTicket.customer_hash != hashed))
    assert left == 0 and still == others > 0
    assert after.values == before.values


async def test_a_repeat_contact_is_another_ticket_of_the_customer_created_in_the_seven_days_before(sessions):
    """The window's edges, the closure's own ticket, a customer with many tickets."""
    closed = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)
    week = timedelta(days=7)
    tickets = [  # (customer, ticket, created_at)
        ("edge", "E-1", closed - week), ("edge", "E-2", closed - timedelta(hours=1)),  # created exactly 7 days before: a repeat
        ("late", "L-1", closed), ("late", "L-2", closed - timedelta(hours=1)),  # created at the closure itself: not before it
        ("old", "O-1", closed - week - timedelta(microseconds=1)), ("old", "O-2", closed - timedelta(hours=1)),
        ("alone", "A-1", closed - timedelta(hours=1)),  # only the closed ticket itself
        *(("busy", f"B-{n}", closed - timedelta(minutes=n + 1)) for n in range(50)),
    ]
    async with sessions() as session:
        await session.execute(
            CustomerTicket.__table__.insert(),
            [{"customer_hash": c, "ticket_id": t, "created_at": at, "recorded_at": closed} for c, t, at in tickets],
        )
        found = await contacts.repeat_closures(
            session,
            [("edge", "E-2", closed), ("late", "L-2", closed), ("old", "O-2", closed), ("alone", "A-1", closed),
             ("busy", "B-0", closed), ("busy", "B-49", closed - timedelta(minutes=50)), ("nobody", "N-1", closed)],
        )
    assert found == {("E-2", closed), ("B-0", closed)}
