"""Feedback, QA review, automatic QA and call KPIs in the summary against voice_oracle.py, on a
real database (SQLite and PostgreSQL): replacement of re-scored reviews, redelivery, dead letters."""

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from csq_common.events import CloudEvent
from kpi_svc.consumers import handle_events
from kpi_svc.kpis.service import TICKET_METRICS, KpiFilters, kpi_summary
from kpi_svc.sla.kpis import SLA_METRICS
from kpi_svc.kpis.surveys import SURVEY_METRICS
from kpi_svc.voice.models import (
    AutoQaAggregate,
    CallAggregate,
    CountedCall,
    CountedFeedback,
    FeedbackAggregate,
    QaAggregate,
    ReplacedFact,
)
from tests import oracle, voice_oracle
from tests.aggregates.test_service import FILTERS, WINDOWS, RecordingProducer, apply_in_batches, records
from tests.factories import generate
from tests.voice_factories import auto_scored, call, generate_voice, received, redelivered, resolved, review

from csq_common.bus.consumer import ConsumerRunner

T = datetime.fromisoformat
VOICE_FILTERS = [*FILTERS, {"channel": "hotline"}, {"channel": "ecommerce_review", "team": "billing"}]
VOICE_TABLES = (FeedbackAggregate, QaAggregate, AutoQaAggregate, CallAggregate, CountedFeedback, CountedCall, ReplacedFact)
NOT_VOICE = {*TICKET_METRICS, *SURVEY_METRICS, *SLA_METRICS}


def as_filters(f: dict) -> KpiFilters:
    return KpiFilters(team_id=f.get("team"), agent_id=f.get("agent"), channel=f.get("channel"))


async def summary(sessions, start, end, filters=KpiFilters()):
    async with sessions() as session:
        return await kpi_summary(session, start=start, end=end, filters=filters)


def voice_part(got) -> tuple[dict, dict]:
    return (
        {k: v for k, v in got.values.items() if k not in NOT_VOICE},
        {k: v for k, v in got.counts.items() if k not in NOT_VOICE},
    )


async def apply(sessions, events):
    async with sessions() as session:
        await handle_events(session, events)
        await session.commit()


async def voice_tables(sessions):
    async with sessions() as session:
        return {
            model.__tablename__: sorted(tuple(row) for row in (await session.execute(select(model.__table__))).all())
            for model in VOICE_TABLES
        }


def runner(sessions, producer) -> ConsumerRunner:
    return ConsumerRunner(
        group="kpi-svc", topics=["csq.feedback", "csq.audits", "csq.calls"], handler=handle_events, sessions=sessions,
        producer=producer, dlq_topic="csq.dlq", bootstrap_servers="unused", retry_base_seconds=0.001,
    )


async def assert_summaries_match_the_oracle(sessions, tickets, voice) -> int:
    """The voice part of the summary equals the oracle's for every window and filter; returns how
    many observations the oracle counted over them."""
    seen = 0
    for start, end in WINDOWS:
        for f in VOICE_FILTERS:
            got = await summary(sessions, start, end, as_filters(f))
            closures = oracle.kpis(tickets, start, end, **f)[1]["tickets_closed"]
            want_values, want_counts = voice_oracle.voice_kpis(voice, start, end, closures, **f)
            values, counts = voice_part(got)
            context = f"{start}..{end} {f}"
            assert list(values) == list(want_values), context  # fixed metrics, then one per check
            oracle.assert_same(values, want_values, context)
            assert counts == want_counts, context
            seen += sum(want_counts.values())
    return seen


async def test_voice_kpis_match_the_oracle_per_window_and_filter(sessions):
    rng = random.Random(20261206)
    tickets = generate(rng, 150)
    voice = generate_voice(rng, 250)
    events = tickets.events + voice.events
    rng.shuffle(events)  # every version, redelivery and family interleaved, older versions late
    await apply_in_batches(sessions, events, rng)

    assert await assert_summaries_match_the_oracle(sessions, tickets, voice) > 10000
    whole = await summary(sessions, *WINDOWS[0])
    assert whole.values["complaints"] == sum(o.kind == "complaint" for o in voice.opinions) > 0
    assert whole.counts["qa_fail_pct"] == len(voice.reviews) and whole.counts["calls_offered"] == len(voice.calls)
    assert 0 < whole.values["complaint_per_100_closed"] and 0 < whole.values["compliance_pct.greeting"] < 100


async def test_a_rescored_review_replaces_the_earlier_version_in_either_order(sessions):
    at = T("2026-11-21T09:10:00+00:00")
    later = at + timedelta(days=1, hours=3)  # the re-score after the dispute: another day, another team
    v1 = review("R-1", 1, at, "billing", "A-1", "chat", 62.5, True)
    v2 = review("R-1", 2, later, "tech", "A-1", "chat", 88.25, False)
    other = review("R-2", 1, at, "billing", "A-2", "chat", 70.0, False)
    day1 = (T("2026-11-21T00:00:00+00:00"), T("2026-11-22T00:00:00+00:00"))
    day2 = (T("2026-11-22T00:00:00+00:00"), T("2026-11-23T00:00:00+00:00"))
    both = (day1[0], day2[1])

    for order in ([v1, other], [v2]), ([v2, other], [v1]), ([v1, v2, other], [v1]), ([v2], [v1, other, v2]):
        async with sessions() as session:
            for model in VOICE_TABLES:
                await session.execute(model.__table__.delete())
            await session.commit()
        for batch in order:
            await apply(sessions, batch)
        first = await summary(sessions, *day1)
        assert (first.values["qa_score_avg"], first.counts["qa_score_avg"]) == (70.0, 1), order
        assert (first.values["qa_fail_pct"], first.counts["qa_fail_pct"]) == (0.0, 1), order
        second = await summary(sessions, *day2, KpiFilters(team_id="tech"))
        assert (second.values["qa_score_avg"], second.values["qa_fail_pct"], second.counts["qa_fail_pct"]) == (88.25, 0.0, 1)
        billing = await summary(sessions, *both, KpiFilters(team_id="billing"))
        assert billing.counts["qa_fail_pct"] == 1 and billing.values["qa_fail_pct"] == 0.0
        overall = await summary(sessions, *both)
        assert overall.values["qa_score_avg"] == (70.0 + 88.25) / 2 and overall.counts["qa_score_avg"] == 2


async def test_an_all_na_review_counts_in_the_fail_rate_not_in_the_mean(sessions):
    at = T("2026-11-21T09:10:00+00:00")
    await apply(sessions, [
        review("R-1", 1, at, "billing", "A-1", "chat", None, True),
        review("R-2", 1, at, "billing", "A-1", "chat", 90.0, False),
        review("R-3", 1, at, "billing", "A-1", "chat", 10.0, True, counts=False),  # calibration
    ])
    got = await summary(sessions, at - timedelta(hours=1), at + timedelta(hours=1))
    assert (got.values["qa_score_avg"], got.counts["qa_score_avg"]) == (90.0, 1)
    assert (got.values["qa_fail_pct"], got.counts["qa_fail_pct"]) == (50.0, 2)


async def test_a_newer_ruleset_replaces_an_automatic_score_and_checks(sessions):
    at = T("2026-11-21T09:10:00+00:00")
    window = (at - timedelta(hours=1), at + timedelta(hours=1))
    old = auto_scored("T-1", 1, at, "billing", "A-1", "chat", 40.0, [("greeting", False), ("closing", True)])
    new = auto_scored("T-1", 2, at, "billing", "A-1", "chat", 95.5, [("greeting", True), ("identity_verified", True)])
    await apply(sessions, [new])
    await apply(sessions, [old, redelivered(new)])
    got = await summary(sessions, *window)
    assert got.values["autoqa_score_avg"] == 95.5 and got.counts["autoqa_score_avg"] == 1
    assert got.values["compliance_pct.greeting"] == 100.0 and got.counts["compliance_pct.greeting"] == 1
    assert "compliance_pct.closing" not in got.values  # the old ruleset's check is gone
    assert got.values["compliance_pct.identity_verified"] == 100.0


async def test_redelivered_batches_count_once_through_the_consumer_path(sessions):
    rng = random.Random(7)
    voice = generate_voice(rng, 40)
    producer = RecordingProducer()
    consumer = runner(sessions, producer)
    batch = records("csq.feedback", voice.events)
    await consumer.process(batch)
    once = await voice_tables(sessions)
    await consumer.process(batch)
    await apply(sessions, [redelivered(event) for event in voice.events])  # new event ids, past the inbox
    assert await voice_tables(sessions) == once
    assert producer.sent == []
    got = await summary(sessions, *WINDOWS[0])
    want, _ = voice_oracle.voice_kpis(voice, *WINDOWS[0], 0)
    assert got.values["complaints"] == want["complaints"] > 0 and got.values["calls_offered"] == want["calls_offered"] > 0
    assert got.values["qa_score_avg"] == want["qa_score_avg"] and got.values["autoqa_score_avg"] == want["autoqa_score_avg"]
    assert got.values["complaint_resolution_avg_seconds"] == want["complaint_resolution_avg_seconds"]


async def test_a_bad_payload_of_each_family_is_dead_lettered_and_the_next_counts(sessions):
    at = T("2026-11-21T08:00:00+00:00")

    def broken(event: CloudEvent, **changes) -> CloudEvent:
        return event.model_copy(update={"id": f"bad-{event.id}", "data": {**event.data, **changes}})

    good_complaint = received("F-1", "complaint", at, "billing", "A-1", "hotline")
    good_review = review("R-1", 1, at, "billing", "A-1", "chat", 80.0, False)
    good_score = auto_scored("T-1", 1, at, "billing", "A-1", "chat", 75.0, [("greeting", True)])
    good_call = call("C-1", at, "billing", "A-1", timedelta(seconds=12))
    bad = [
        broken(received("F-2", "complaint", at, "billing", "A-1", "hotline"), kind="grumble"),
        broken(resolved("F-1", at, at + timedelta(hours=1), "billing", "A-1"), resolved_at="yesterday"),
        broken(review("R-2", 1, at, "billing", "A-1", "chat", 80.0, False), version=0),
        broken(auto_scored("T-2", 1, at, "billing", "A-1", "chat", 75.0, [("greeting", True)]),
               checks=[{"check": "Bad Check!", "passed": True}]),
        broken(call("C-2", at, "billing", "A-1", None), direction="sideways"),
    ]
    producer = RecordingProducer()
    batch = [bad[0], good_complaint, bad[1], bad[2], good_review, bad[3], good_score, bad[4], good_call]
    await runner(sessions, producer).process(records("csq.feedback", batch))

    assert [topic for topic, _ in producer.sent] == ["csq.dlq"] * len(bad)
    assert b"validation error" in b" ".join(value for _, value in producer.sent).lower()
    got = await summary(sessions, at - timedelta(hours=1), at + timedelta(hours=1))
    assert (got.values["complaints"], got.counts["qa_score_avg"], got.counts["autoqa_score_avg"]) == (1, 1, 1)
    assert (got.values["calls_offered"], got.values["call_service_level_pct"], got.values["asa_seconds"]) == (1, 100.0, 12.0)
    assert got.values["compliance_pct.greeting"] == 100.0


async def test_the_service_level_threshold_is_a_setting(sessions):
    at = T("2026-11-21T08:00:00+00:00")
    calls = [call(f"C-{n}", at, "billing", "A-1", timedelta(seconds=seconds)) for n, seconds in enumerate((5, 20, 21, 40))]
    async with sessions() as session:
        await handle_events(session, calls, call_service_level=timedelta(seconds=30))
        await session.commit()
    got = await summary(sessions, at, at + timedelta(hours=1))
    assert got.values["call_service_level_pct"] == 75.0 and got.values["asa_seconds"] == 21.5


def test_a_batch_folded_with_numpy_gives_the_rows_of_the_reference_fold_in_key_order():
    """CounterBatch.folded_columns (what write sends) against CounterBatch.rows (one Python dict
    operation per row): the same rows and sums, primary-key order, rows a count left and came back
    to (sum zero) left out."""
    from kpi_svc.sla.counting import counter_batch
    from kpi_svc.voice.apply import Contribution

    rng = random.Random(11)
    batch = counter_batch()
    start = datetime(2026, 10, 31, 20, tzinfo=timezone.utc)
    for _ in range(400):
        contribution = Contribution(
            start + timedelta(minutes=rng.randrange(60 * 30)), rng.choice(["t1", "t2", ""]), rng.choice(["a1", "a2", "a3"]),
            rng.choice(["chat", "email"]), {("", rng.choice(batch.columns)): rng.randrange(1, 4)},
        )
        batch.add(contribution)
        if rng.random() < 0.3:
            batch.add(contribution, sign=-1)  # moved away again: its rows sum to zero
    columns = batch.folded_columns()
    folded = [(*key, *values) for key, values in zip(zip(*columns[:5]), zip(*columns[5:]))]
    reference = [(*row, *values) for row, values in batch.rows().items() if any(values)]
    assert sorted(folded) == sorted(reference)
    assert [row[0] for row in folded] == sorted(row[0] for row in folded)  # resolution first
    primary_key = [(row[0], row[2], row[3], row[4], row[1]) for row in folded]
    assert primary_key == sorted(primary_key)
    assert len(folded) < len(batch.rows())  # the zero rows were among them
