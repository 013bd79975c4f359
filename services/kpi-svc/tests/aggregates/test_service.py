"""Apply rules against a real database (SQLite and PostgreSQL), checked against oracle.py."""

import random
from datetime import datetime, timedelta, timezone

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import delete, func, select

from csq_common.bus.consumer import ConsumerRunner
from csq_common.bus.models import InboxMessage
from csq_common.events import CloudEvent, TicketClosed, TicketFirstResponded, TicketReopened
from kpi_svc.aggregates.models import CountedClosure, CountedFirstResponse, CountedReopen, TicketAggregate, TicketDelta
from kpi_svc.aggregates.rollup import fold_pending
from kpi_svc.consumers import handle_events
from kpi_svc.kpis.service import KpiFilters, ticket_summary
from tests import oracle
from tests.factories import event, generate, snapshot

UTC = timezone.utc
T = datetime.fromisoformat

WINDOWS = [
    (T("2026-11-19T00:00:00+00:00"), T("2026-11-25T00:00:00+00:00")),  # everything, from day rows
    (T("2026-11-20T22:45:00+00:00"), T("2026-11-22T01:15:00+00:00")),  # q15 + hour + day + hour + q15
    (T("2026-11-21T10:15:00+00:00"), T("2026-11-21T13:30:00+00:00")),  # hours and quarters
    (T("2026-11-20T23:45:00+00:00"), T("2026-11-21T00:15:00+00:00")),  # two quarters across midnight
    (T("2026-11-21T00:00:00+00:00"), T("2026-11-22T00:00:00+00:00")),  # exactly one day
    # read as whole buckets less the rest of them (buckets.signed_tile), rows with data subtracted:
    (T("2026-11-21T01:00:00+00:00"), T("2026-11-22T23:00:00+00:00")),  # two days less an hour at each end
    (T("2026-11-01T00:00:00+00:00"), T("2026-11-22T12:00:00+00:00")),  # November less eight and a half days
]
FILTERS = [
    {},
    {"team": "billing"},
    {"team": "tech"},
    {"channel": "chat"},
    {"team": "billing", "channel": "email"},
    {"agent": "A-1"},
    {"agent": "A-3", "channel": "phone"},
    {"agent": "A-1", "team": "billing"},
]


def as_filters(f: dict) -> KpiFilters:
    return KpiFilters(team_id=f.get("team"), agent_id=f.get("agent"), channel=f.get("channel"))


async def apply_in_batches(sessions, events, rng, *, fold_chance=0.5):
    """Each batch in its own transaction, as the consumer runner does (without its inbox); after
    some batches a roll-up of part of the pending deltas, as the worker would, so reads see
    aggregates and pending deltas mixed."""
    position = 0
    while position < len(events):
        size = rng.randrange(1, 400)
        async with sessions() as session:
            await handle_events(session, events[position : position + size])
            await session.commit()
        position += size
        if rng.random() < fold_chance:
            async with sessions() as session:
                await fold_pending(session, limit=rng.randrange(1, 300))
                await session.commit()


async def fold_all(sessions) -> None:
    while True:
        async with sessions() as session:
            moved = await fold_pending(session, limit=500)
            await session.commit()
        if not moved:
            return


async def summary(sessions, start, end, filters=KpiFilters()):
    async with sessions() as session:
        return await ticket_summary(session, start=start, end=end, filters=filters)


async def table_contents(sessions):
    """Every counted fact and aggregate row, once everything pending is rolled up."""
    await fold_all(sessions)
    async with sessions() as session:
        out = {}
        for model in (TicketAggregate, TicketDelta, CountedClosure, CountedFirstResponse, CountedReopen):
            rows = (await session.execute(select(model.__table__))).all()
            out[model.__tablename__] = sorted(tuple(row) for row in rows)
        return out


async def test_every_kpi_matches_the_oracle_per_window_and_filter(sessions):
    rng = random.Random(20261120)
    history = generate(rng, 400)
    events = list(history.events)
    rng.shuffle(events)  # out of order, duplicates spread over batches or inside one
    await apply_in_batches(sessions, events, rng)

    checked = 0
    for start, end in WINDOWS:
        for f in FILTERS:
            got = await summary(sessions, start, end, as_filters(f))
            want_values, want_counts = oracle.kpis(history, start, end, **f)
            oracle.assert_same(got.values, want_values, f"{start}..{end} {f}")
            assert got.counts == want_counts, f"{start}..{end} {f}"
            checked += want_counts["tickets_closed"] + want_counts["frt_avg_seconds"]
    assert checked > 1000  # the windows are not empty
    whole = await summary(sessions, *WINDOWS[0])
    assert whole.values["tickets_closed"] == len(history.closures)
    assert whole.values["reopen_pct"] and whole.values["frt_p90_seconds"] > whole.values["frt_p50_seconds"]


async def test_per_team_numbers_add_up_to_the_overall_ones(sessions):
    rng = random.Random(5)
    history = generate(rng, 150)
    await apply_in_batches(sessions, history.events, rng)
    start, end = WINDOWS[0]
    overall = await summary(sessions, start, end)
    per_team = [await summary(sessions, start, end, KpiFilters(team_id=t)) for t in ("billing", "tech", "sales")]
    no_team = sum(1 for c in history.closures if c.team is None)
    assert sum(s.values["tickets_closed"] for s in per_team) + no_team == overall.values["tickets_closed"]
    per_channel = [await summary(sessions, start, end, KpiFilters(channel=c)) for c in ("email", "chat", "phone")]
    no_channel = sum(1 for f in history.first_responses if f.channel is None)
    assert sum(s.counts["frt_avg_seconds"] for s in per_channel) + no_channel == overall.counts["frt_avg_seconds"]


async def test_replay_with_a_fresh_inbox_rebuilds_the_same_rows(sessions):
    rng = random.Random(11)
    history = generate(rng, 120)
    await apply_in_batches(sessions, history.events, rng)
    first = await table_contents(sessions)
    async with sessions() as session:
        for model in (TicketAggregate, TicketDelta, CountedClosure, CountedFirstResponse, CountedReopen):
            await session.execute(delete(model))
        await session.commit()
    replay = list(history.events)
    rng.shuffle(replay)
    await apply_in_batches(sessions, replay, rng)
    assert await table_contents(sessions) == first
    assert len(first["kpi_counted_closures"]) == len(history.closures)


def records(topic: str, events: list[CloudEvent | bytes]) -> list[ConsumerRecord]:
    return [
        ConsumerRecord(
            topic=topic, partition=0, offset=offset, timestamp=0, timestamp_type=0, key=b"k",
            value=item if isinstance(item, bytes) else item.to_bytes(),
            checksum=None, serialized_key_size=1, serialized_value_size=0, headers=[],
        )
        for offset, item in enumerate(events)
    ]


class RecordingProducer:
    def __init__(self):
        self.sent = []

    async def send_and_wait(self, topic, value, key=None):
        self.sent.append((topic, value))


def runner(sessions, producer) -> ConsumerRunner:
    return ConsumerRunner(
        group="kpi-svc", topics=["csq.tickets"], handler=handle_events, sessions=sessions, producer=producer,
        dlq_topic="csq.dlq", bootstrap_servers="unused", retry_base_seconds=0.001,
    )


async def test_the_same_batch_twice_through_the_consumer_path_changes_nothing(sessions):
    rng = random.Random(99)
    history = generate(rng, 60)
    producer = RecordingProducer()
    consumer = runner(sessions, producer)
    batch = records("csq.tickets", history.events)
    await consumer.process(batch)
    once = await table_contents(sessions)
    await consumer.process(batch)
    await consumer.process(batch[: len(batch) // 2])
    assert await table_contents(sessions) == once
    assert producer.sent == []
    async with sessions() as session:
        inbox_rows = await session.scalar(select(func.count()).select_from(InboxMessage))
    assert inbox_rows == len(history.events)
    got = await summary(sessions, *WINDOWS[0])
    assert got.values["tickets_closed"] == len(history.closures) > 0


async def test_invalid_ticket_data_is_dead_lettered_and_the_rest_of_the_batch_applies(sessions):
    created = T("2026-11-21T08:00:00+00:00")
    good = event(
        TicketClosed,
        snapshot("T-1", "billing", "A-1", "email", created, closed_at=created + timedelta(hours=1)),
        created + timedelta(hours=1),
    )
    bad = CloudEvent(id="bad-1", source="test", type="ticket.closed", time=created, data={"ticket": {"id": ""}})
    unknown = CloudEvent(id="other-1", source="test", type="ticket.merged", time=created, data={"anything": 1})
    producer = RecordingProducer()
    await runner(sessions, producer).process(records("csq.tickets", [bad, b"not json at all", unknown, good]))

    assert [topic for topic, _ in producer.sent] == ["csq.dlq", "csq.dlq"]
    assert b"ValidationError" in producer.sent[0][1] or b"validation error" in producer.sent[0][1]
    got = await summary(sessions, created, created + timedelta(days=1))
    assert got.values["tickets_closed"] == 1
    async with sessions() as session:
        types = set(await session.scalars(select(InboxMessage.event_type)))
    assert types == {"ticket.closed", "ticket.merged"}  # the unknown type is recorded, not applied


async def test_invalid_data_raises_from_the_handler(sessions):
    bad = CloudEvent(id="bad-2", source="test", type="ticket.reopened", time=T("2026-11-21T08:00:00+00:00"),
                     data={"ticket": {"id": "T-9"}, "occurred_at": "yesterday"})
    async with sessions() as session:
        with pytest.raises(ValueError, match="created_at"):  # pydantic's and msgspec's ValidationError alike
            await handle_events(session, [bad])


async def test_duplicates_count_once_and_negative_durations_clamp_to_zero(sessions):
    created = T("2026-11-21T09:00:00+00:00")
    closed = created + timedelta(minutes=30)
    fields = dict(first_response_at=created - timedelta(minutes=5), resolved_at=created - timedelta(seconds=1),
                  closed_at=closed, handle_seconds=90.5, contact_count=1)
    snap = snapshot("T-7", "tech", None, "chat", created, **fields)
    batch_one = [
        event(TicketFirstResponded, snap, created - timedelta(minutes=5)),
        event(TicketClosed, snap, closed),
        event(TicketClosed, snap, closed),  # new event id, same closure, same batch
    ]
    reopened = closed + timedelta(hours=2)
    reopen_snap = snapshot("T-7", "tech", None, "chat", created, reopen_count=1)
    batch_two = [
        event(TicketClosed, snap, closed),  # again, in a later batch
        event(TicketFirstResponded, snap, created + timedelta(minutes=1)),  # a ticket's FRT counts once
        event(TicketReopened, reopen_snap, reopened),
        event(TicketReopened, reopen_snap, reopened),
    ]
    for batch in (batch_one, batch_two):
        async with sessions() as session:
            await handle_events(session, batch)
            await session.commit()
    got = await summary(sessions, created - timedelta(hours=1), created + timedelta(hours=4), KpiFilters(team_id="tech"))
    assert got.values == {
        "tickets_closed": 1,
        "frt_avg_seconds": 0.0,
        "frt_p50_seconds": 0.0,
        "frt_p90_seconds": 0.0,
        "resolution_avg_seconds": 0.0,
        "resolution_p90_seconds": 0.0,
        "aht_seconds": 90.5,
        "fcr_pct": 100.0,
        "reopen_pct": 100.0,
        "frt_bh_avg_seconds": None,  # no calendar
        "resolution_bh_avg_seconds": None,
        "next_response_avg_seconds": None,  # no messages
        "repeat_contact_pct": 0.0,  # no customer
    }
    # dimensions missing from the snapshot are stored as "", the agent wildcard stays "*"
    await fold_all(sessions)
    async with sessions() as session:
        agents = set(await session.scalars(select(TicketAggregate.agent_id)))
    assert agents == {"", "*"}


async def test_a_team_literally_named_star_is_not_the_wildcard(sessions):
    created = T("2026-11-21T09:00:00+00:00")
    for team, ticket in (("*", "T-1"), ("billing", "T-2")):
        async with sessions() as session:
            await handle_events(session, [event(TicketClosed, snapshot(ticket, team, "A", "x", created, closed_at=created), created)])
            await session.commit()
    window = (created, created + timedelta(hours=1))
    assert (await summary(sessions, *window, KpiFilters(team_id="*"))).values["tickets_closed"] == 1
    assert (await summary(sessions, *window)).values["tickets_closed"] == 2
