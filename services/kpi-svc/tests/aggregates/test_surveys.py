"""Survey apply rules against a real database (SQLite and PostgreSQL), checked against survey_oracle.py."""

import random
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from csq_common.bus.models import InboxMessage
from csq_common.events import CloudEvent
from kpi_svc.aggregates.models import (
    CountedAnsweredInvitation,
    CountedInvitation,
    CountedResponse,
    SurveyAggregate,
)
from kpi_svc.consumers import handle_events
from kpi_svc.kpis.service import TICKET_METRICS, KpiFilters, kpi_summary
from kpi_svc.sla.kpis import SLA_METRICS
from tests import oracle, survey_oracle, voice_oracle
from tests.aggregates.test_service import FILTERS, WINDOWS, RecordingProducer, apply_in_batches, records, runner
from tests.factories import generate
from tests.survey_factories import answered, expired, generate_surveys, invited
from tests.voice_factories import VoiceHistory

T = datetime.fromisoformat
DIMENSION_FILTERS = [None, "overall", "attitude", "response_speed", "after-sales_2", "never-used"]
SURVEY_TABLES = (SurveyAggregate, CountedInvitation, CountedResponse, CountedAnsweredInvitation)


def filters(f: dict, dimension: str | None = None) -> KpiFilters:
    return KpiFilters(team_id=f.get("team"), agent_id=f.get("agent"), channel=f.get("channel"), dimension=dimension)


async def summary(sessions, start, end, kpi_filters=KpiFilters()):
    async with sessions() as session:
        return await kpi_summary(session, start=start, end=end, filters=kpi_filters)


async def apply(sessions, events):
    async with sessions() as session:
        await handle_events(session, events)
        await session.commit()


async def survey_tables(sessions):
    async with sessions() as session:
        return {
            model.__tablename__: sorted(tuple(row) for row in (await session.execute(select(model.__table__))).all())
            for model in SURVEY_TABLES
        }


async def test_survey_kpis_match_the_oracle_per_window_filter_and_dimension(sessions):
    rng = random.Random(20261124)
    tickets = generate(rng, 120)
    surveys = generate_surveys(rng, 500)
    events = tickets.events + surveys.events
    rng.shuffle(events)  # tickets and surveys interleaved, duplicates spread over batches or inside one
    await apply_in_batches(sessions, events, rng)

    answers_seen = invitations_seen = 0
    for start, end in WINDOWS:
        for f in FILTERS:
            for dimension in DIMENSION_FILTERS:
                got = await summary(sessions, start, end, filters(f, dimension))
                want_values, want_counts = survey_oracle.survey_kpis(surveys, start, end, dimension, **f)
                context = f"{start}..{end} {f} {dimension}"
                if dimension is None:  # everything: the ticket KPIs beside the survey KPIs
                    ticket_values, ticket_counts = oracle.kpis(tickets, start, end, **f)
                    want_values, want_counts = {**ticket_values, **want_values}, {**ticket_counts, **want_counts}
                    # No SLA policy here: the SLA percentages have nothing measured (tests/sla/test_kpis.py).
                    want_values |= dict.fromkeys(SLA_METRICS)
                    want_counts |= dict.fromkeys(SLA_METRICS, 0)
                    # No feedback, review or call events: the voice KPIs are empty (tests/voice).
                    voice_values, voice_counts = voice_oracle.voice_kpis(VoiceHistory(), start, end, ticket_counts["tickets_closed"], **f)
                    want_values, want_counts = {**want_values, **voice_values}, {**want_counts, **voice_counts}
                    invitations_seen += want_counts["survey_response_pct"]
                answers_seen += want_counts["csat_pct"] + want_counts["nps"] + want_counts["ces_avg"]
                oracle.assert_same(got.values, want_values, context)
                assert got.counts == want_counts, context
                assert got.filters.dimension == dimension
    assert answers_seen > 3000 and invitations_seen > 1000  # the windows are not empty

    whole = await summary(sessions, *WINDOWS[0])
    assert whole.counts["survey_response_pct"] == len(surveys.invitations)
    assert whole.values["survey_response_pct"] == 100 * len(surveys.credits) / len(surveys.invitations)
    assert whole.values["nps"] is not None and -100 <= whole.values["nps"] <= 100
    assert 1 <= whole.values["ces_avg"] <= 7 and 0 <= whole.values["csat_pct"] <= 100
    overall = await summary(sessions, *WINDOWS[0], KpiFilters(dimension="overall"))
    assert set(overall.values) == {"csat_pct", "nps", "ces_avg"}  # no ticket KPIs, no response rate
    assert overall.counts["csat_pct"] < whole.counts["csat_pct"]
    unused = await summary(sessions, *WINDOWS[0], KpiFilters(dimension="never-used"))
    assert set(unused.values.values()) == {None} and set(unused.counts.values()) == {0}


async def test_per_team_and_per_dimension_counts_add_up(sessions):
    rng = random.Random(3)
    surveys = generate_surveys(rng, 200)
    await apply_in_batches(sessions, surveys.events, rng)
    start, end = WINDOWS[0]
    whole = await summary(sessions, start, end)
    per_dimension = [await summary(sessions, start, end, KpiFilters(dimension=d)) for d in DIMENSION_FILTERS[1:]]
    per_dimension += [await summary(sessions, start, end, KpiFilters(dimension=d)) for d in ("problem_solving", "professionalism")]
    for metric in ("csat_pct", "nps", "ces_avg"):
        assert sum(s.counts[metric] for s in per_dimension) == whole.counts[metric] > 0
    per_team = [await summary(sessions, start, end, KpiFilters(team_id=t)) for t in ("billing", "tech", "sales")]
    no_team = sum(1 for i in surveys.invitations if i.team is None)
    assert sum(s.counts["survey_response_pct"] for s in per_team) + no_team == whole.counts["survey_response_pct"]


async def test_duplicate_invitations_reminders_and_responses_count_once(sessions):
    at = T("2026-11-21T09:05:00+00:00")
    later = at + timedelta(hours=5)
    first = invited("I-1", at, "billing", "A-1", "email")
    response = answered("R-1", later, [("csat", "attitude", 4), ("nps", "overall", 10)], "billing", "A-1", "email",
                        invitation_id="I-1", invited_at=at)
    again = CloudEvent(**{**response.model_dump(), "id": "another-event-id"})
    await apply(sessions, [first, invited("I-1", at, "billing", "A-1", "email"), response, again])
    once = await survey_tables(sessions)
    await apply(sessions, [
        invited("I-1", at, "billing", "A-1", "email"),  # re-published, new event id, later batch
        invited("I-1", at + timedelta(days=1), "billing", "A-1", "email", reminder=True),  # its reminder
        CloudEvent(**{**response.model_dump(), "id": "a-third-event-id"}),
        expired("I-1", at, "billing", "A-1", "email"),  # no KPI effect
    ])
    assert await survey_tables(sessions) == once
    # a second response to the same invitation adds its answers but not a second "answered"
    await apply(sessions, [answered("R-2", later, [("csat", "attitude", 2)], "billing", "A-1", "email",
                                    invitation_id="I-1", invited_at=at)])
    got = await summary(sessions, at - timedelta(hours=9), at + timedelta(days=3), KpiFilters(team_id="billing"))
    assert got.values["survey_response_pct"] == 100.0 and got.counts["survey_response_pct"] == 1
    assert got.values["csat_pct"] == 50.0 and got.counts["csat_pct"] == 2
    assert got.values["nps"] == 100.0 and got.counts["nps"] == 1
    assert got.values["ces_avg"] is None and got.counts["ces_avg"] == 0
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CountedInvitation)) == 1
        assert await session.scalar(select(func.count()).select_from(CountedResponse)) == 2
        assert await session.scalar(select(func.count()).select_from(CountedAnsweredInvitation)) == 1


async def test_an_answer_counts_towards_the_rate_in_its_invitations_bucket(sessions):
    invited_at = T("2026-11-21T23:50:00+00:00")
    answered_at = T("2026-11-22T00:20:00+00:00")
    await apply(sessions, [
        invited("I-1", invited_at, "tech", "A-3", "chat"),
        invited("I-2", invited_at + timedelta(minutes=5), "tech", "A-3", "chat"),
        answered("R-1", answered_at, [("ces", "response_speed", 3), ("ces", "overall", 6)], "tech", "A-3", "chat",
                 invitation_id="I-1", invited_at=invited_at),
        # a phone answer without invitation: its answers count, the response rate does not see it
        answered("P-1", answered_at, [("ces", "overall", 7)], "tech", "A-3", "phone", response_channel="phone"),
    ])
    day_one = await summary(sessions, T("2026-11-21T00:00:00+00:00"), T("2026-11-22T00:00:00+00:00"))
    assert day_one.values["survey_response_pct"] == 50.0 and day_one.counts["survey_response_pct"] == 2
    assert day_one.values["ces_avg"] is None and day_one.counts["ces_avg"] == 0
    day_two = await summary(sessions, T("2026-11-22T00:00:00+00:00"), T("2026-11-23T00:00:00+00:00"))
    assert day_two.values["survey_response_pct"] is None and day_two.counts["survey_response_pct"] == 0
    assert day_two.values["ces_avg"] == 16 / 3 and day_two.counts["ces_avg"] == 3
    quarter = await summary(sessions, T("2026-11-21T23:45:00+00:00"), T("2026-11-22T00:00:00+00:00"), KpiFilters(agent_id="A-3"))
    assert quarter.values["survey_response_pct"] == 50.0
    speed = await summary(sessions, T("2026-11-22T00:15:00+00:00"), T("2026-11-22T00:30:00+00:00"),
                          KpiFilters(channel="chat", dimension="response_speed"))
    assert speed.values == {"csat_pct": None, "nps": None, "ces_avg": 3.0}


async def test_replay_with_fresh_claims_rebuilds_the_same_rows(sessions):
    rng = random.Random(17)
    surveys = generate_surveys(rng, 150)
    await apply_in_batches(sessions, surveys.events, rng)
    first = await survey_tables(sessions)
    async with sessions() as session:
        for model in SURVEY_TABLES:
            await session.execute(delete(model))
        await session.commit()
    replay = list(surveys.events)
    rng.shuffle(replay)
    await apply_in_batches(sessions, replay, rng)
    assert await survey_tables(sessions) == first
    assert len(first["kpi_counted_invitations"]) == len(surveys.invitations)
    assert len(first["kpi_counted_answered_invitations"]) == len(surveys.credits)


async def test_poison_survey_events_are_dead_lettered_and_the_rest_of_the_batch_applies(sessions):
    at = T("2026-11-21T08:00:00+00:00")
    good = [
        invited("I-1", at, "billing", "A-1", "email"),
        answered("R-1", at + timedelta(hours=1), [("nps", "overall", 9)], "billing", "A-1", "email",
                 invitation_id="I-1", invited_at=at),
        expired("I-2", at, "billing", "A-1", "email"),
    ]
    missing_field = CloudEvent(id="bad-1", source="test", type="survey.answered", time=at,
                               data={"survey_id": "S-1", "survey_version": 1, "response_id": "R-9"})
    csat_nine = answered("R-10", at, [("csat", "overall", 4)], "billing")
    csat_nine.data["answers"][0]["value"] = 9
    bad_dimension = answered("R-11", at, [("nps", "overall", 10)], "billing")
    bad_dimension.data["answers"][0]["dimension"] = "Bad Slug!"
    producer = RecordingProducer()
    batch = [good[0], missing_field, csat_nine, good[1], bad_dimension, good[2]]
    await runner(sessions, producer).process(records("csq.surveys", batch))

    assert [topic for topic, _ in producer.sent] == ["csq.dlq"] * 3
    letters = b" ".join(value for _, value in producer.sent)
    assert b"validation error" in letters.lower()
    assert b"answers.0" in letters and b"value 9 is outside the csat scale 1-5" in letters
    assert b"answers.0.dimension" in letters and b"String should match pattern" in letters
    got = await summary(sessions, at, at + timedelta(days=1))
    assert got.values["nps"] == 100.0 and got.counts["nps"] == 1
    assert got.values["survey_response_pct"] == 100.0
    assert got.counts["csat_pct"] == 0
    async with sessions() as session:
        ids = set(await session.scalars(select(InboxMessage.event_id)))
        assert await session.scalar(select(func.count()).select_from(CountedResponse)) == 1
    assert ids == {event.id for event in good}  # survey.expired is recorded, not applied
