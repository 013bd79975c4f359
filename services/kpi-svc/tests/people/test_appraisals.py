"""Appraisals against an independent computation over generated events (SQLite and PostgreSQL):
grades, totals and inputs per agent and per team of a month in Asia/Shanghai, the minimum sample
that keeps a lucky agent with three perfect tickets from a grade and from the service star, the
star's tie-break, and the correction a late event causes in a closed month."""

import random
from datetime import datetime, timedelta

import pytest

from csq_common.errors import InvalidInput
from kpi_svc.people import appraisals, rules
from kpi_svc.people.schemas import AppraisalRuleCreate
from tests.people import appraisal_oracle as oracle
from tests.people.people_factories import add_work, apply
from tests.factories import History
from tests.survey_factories import SurveyHistory

T = datetime.fromisoformat
NOW = T("2026-12-06T12:00:00+00:00")
# November 2026 in Asia/Shanghai (UTC+8): local midnight is 16:00 UTC the day before
MONTH_START, MONTH_END = T("2026-10-31T16:00:00+00:00"), T("2026-11-30T16:00:00+00:00")
RULE = {
    "name": "客服月度考评", "period": "month", "tz": "Asia/Shanghai", "min_sample": 10, "sample_metric": "tickets_closed",
    "weights": [
        {"metric": "fcr_pct", "weight": 30, "lower": 40, "upper": 100, "direction": "higher_is_better"},
        {"metric": "frt_avg_seconds", "weight": 40, "lower": 60, "upper": 1800, "direction": "lower_is_better"},
        {"metric": "csat_pct", "weight": 20, "lower": 50, "upper": 100, "direction": "higher_is_better"},
        {"metric": "reopen_pct", "weight": 10, "lower": 0, "upper": 30, "direction": "lower_is_better"},
    ],
    "grades": [{"grade": "A", "min_score": 90}, {"grade": "B", "min_score": 75}, {"grade": "C", "min_score": 60},
               {"grade": "D", "min_score": 0}],
}
LUCKY = "坐席-幸运"


def november(rng: random.Random) -> tuple[History, SurveyHistory]:
    """Two teams of agents of every quality, one agent working in both, two agents with the same
    work (a tie), a lucky agent with three perfect tickets, and work just outside the month."""
    tickets, surveys = History(), SurveyHistory()
    month = MONTH_END - MONTH_START
    work = dict(start=MONTH_START, span=month)
    for number, quality in enumerate([0.02, 0.1, 0.3, 0.5, 0.7, 0.85, 0.95, 1.0]):
        team = "售后一组" if number % 2 else "billing"
        add_work(tickets, surveys, rng, agent=f"坐席-{number:02d}", team=team, closures=rng.randrange(10, 40), quality=quality, **work)
    add_work(tickets, surveys, rng, agent="坐席-09", team="billing", closures=6, quality=0.4, **work)  # below the minimum
    add_work(tickets, surveys, rng, agent="坐席-10", team="billing", closures=14, quality=0.6, **work)
    add_work(tickets, surveys, rng, agent="坐席-10", team="售后一组", closures=9, quality=0.6, serial="b", **work)
    add_work(tickets, surveys, rng, agent=LUCKY, team="售后一组", closures=3, quality=1.0, **work)
    for agent in ("T-7", "T-2"):  # identical work: the same total and sample, so the smaller id is the star
        add_work(tickets, surveys, random.Random("tie"), agent=agent, team="tech", closures=15, quality=0.9, channel="chat", **work)
    outside = dict(span=timedelta(hours=8), quality=0.0, closures=12)
    add_work(tickets, surveys, rng, agent="坐席-07", team="billing", start=MONTH_START - timedelta(hours=8), serial="before", **outside)
    add_work(tickets, surveys, rng, agent="坐席-07", team="billing", start=MONTH_END, serial="after", **outside)
    return tickets, surveys


def expected(tickets, surveys, rule=RULE) -> dict:
    """``{(subject type, id): {total, grade, eligible, sample, scores, team_id, star}}``."""
    teams = oracle.home_teams(tickets, MONTH_START, MONTH_END)
    agents = {key: oracle.grade(rule, *both) for key, both in oracle.subject_kpis(tickets, surveys, MONTH_START, MONTH_END, "agent").items()}
    stars = oracle.stars(agents, teams)
    result = {("agent", key): {**found, "team_id": teams.get(key), "star": stars.get(teams.get(key)) == key} for key, found in agents.items()}
    for key, both in oracle.subject_kpis(tickets, surveys, MONTH_START, MONTH_END, "team").items():
        result[("team", key)] = {**oracle.grade(rule, *both), "team_id": key, "star": False}
    return result


def assert_kept(kept, want: dict) -> None:
    got = {(item.latest.subject_type, item.latest.subject_id): item.latest for item in kept.items}
    assert got.keys() == want.keys()
    bottom = RULE["grades"][-1]["grade"]
    for subject, row in got.items():
        w = want[subject]
        assert (row.eligible, row.grade, row.sample, row.team_id) == (w["eligible"], w["grade"], w["sample"], w["team_id"]), subject
        assert row.total == (None if w["total"] is None else float(w["total"])), subject
        assert row.service_star == w["star"], subject
        assert row.coaching_suggested == (w["grade"] == bottom), subject
        for metric, score in w["scores"].items():
            assert row.inputs[metric]["score"] == (None if score is None else float(score)), (subject, metric)


async def make_rule(sessions, body=RULE) -> str:
    async with sessions() as session:
        rule = await rules.create_rule(session, AppraisalRuleCreate(**body), now=NOW)
        await session.commit()
    return rule.id


async def run(sessions, rule_id: str, period: str = "2026-11"):
    async with sessions() as session:
        summary = await appraisals.run_appraisal(session, rule_id=rule_id, period=period, now=NOW)
        await session.commit()
    async with sessions() as session:
        kept = await appraisals.list_results(session, rule_id=rule_id, period=period)
    return summary, kept


async def test_grades_totals_stars_and_the_minimum_sample_match_the_oracle(sessions):
    rng = random.Random("appraisal")
    tickets, surveys = november(rng)
    await apply(sessions, rng, tickets.events + surveys.events)
    rule_id = await make_rule(sessions)
    summary, kept = await run(sessions, rule_id)
    want = expected(tickets, surveys)
    assert_kept(kept, want)
    assert (summary.new, summary.corrected, summary.unchanged) == (len(want), 0, 0)
    assert summary.agents == sum(1 for kind, _ in want if kind == "agent") and summary.teams == 3
    grades = {w["grade"] for w in want.values() if w["grade"]}
    assert {"A", "D"} <= grades and len(grades) >= 3  # the data spans the bands

    # the lucky agent scores best of all, yet is neither graded nor the team's star
    lucky = want[("agent", LUCKY)]
    assert lucky["sample"] == 3 and not lucky["eligible"]
    assert all(lucky["total"] > w["total"] for (kind, key), w in want.items() if kind == "agent" and key != LUCKY)
    stars = {row.latest.team_id: row.latest.subject_id for row in kept.items if row.latest.service_star}
    assert stars["售后一组"] != LUCKY and stars["tech"] == "T-2"
    assert want[("agent", "T-2")]["total"] == want[("agent", "T-7")]["total"]
    assert want[("agent", "坐席-10")]["team_id"] == "billing"  # most closures there, also worked in 售后一组

    async with sessions() as session:  # one team: the team itself and its agents
        billing = await appraisals.list_results(session, rule_id=rule_id, period="2026-11", team_id="billing")
    assert {(i.latest.subject_type, i.latest.subject_id) for i in billing.items} == {
        s for s, w in want.items() if w["team_id"] == "billing"
    }
    assert billing.items[0].latest.subject_type == "team"


async def test_a_late_event_in_a_closed_month_is_kept_as_a_correction(sessions):
    rng = random.Random("late")
    tickets, surveys = november(rng)
    await apply(sessions, rng, tickets.events + surveys.events)
    rule_id = await make_rule(sessions)
    _, first = await run(sessions, rule_id)
    before = expected(tickets, surveys)
    star = next(i.latest.subject_id for i in first.items if i.latest.service_star and i.latest.team_id == "billing")

    late_tickets, late_surveys = History(), SurveyHistory()
    add_work(late_tickets, late_surveys, rng, agent=star, team="billing", closures=20, quality=0.0, start=MONTH_START,
             span=MONTH_END - MONTH_START, serial="late")
    await apply(sessions, rng, late_tickets.events + late_surveys.events)
    tickets.events += late_tickets.events
    tickets.closures += late_tickets.closures
    tickets.first_responses += late_tickets.first_responses
    tickets.reopens += late_tickets.reopens
    surveys.invitations += late_surveys.invitations
    surveys.answers += late_surveys.answers
    surveys.credits += late_surveys.credits
    after = expected(tickets, surveys)

    summary, second = await run(sessions, rule_id)
    assert_kept(second, after)
    changed = {s for s in after if {k: v for k, v in after[s].items()} != before[s]}
    assert ("agent", star) in changed and ("team", "billing") in changed
    assert (summary.new, summary.corrected, summary.unchanged) == (0, len(changed), len(after) - len(changed))
    items = {(i.latest.subject_type, i.latest.subject_id): i for i in second.items}
    corrected = items[("agent", star)]
    assert corrected.latest.revision == 2 and corrected.original.revision == 1
    assert corrected.original.total == float(before[("agent", star)]["total"])  # the original is still shown
    assert corrected.latest.differences["total"] == [float(before[("agent", star)]["total"]), float(after[("agent", star)]["total"])]
    assert corrected.latest.differences["service_star"] == [True, False]
    assert corrected.latest.differences["sample"] == [before[("agent", star)]["sample"], after[("agent", star)]["sample"]]
    for subject, item in items.items():
        if subject not in changed:
            assert item.latest.revision == 1 and item.original is None and item.latest.differences is None

    summary, third = await run(sessions, rule_id)  # nothing new: nothing stored
    assert (summary.new, summary.corrected) == (0, 0)
    assert [(i.latest.subject_id, i.latest.revision) for i in third.items] == [(i.latest.subject_id, i.latest.revision) for i in second.items]


async def test_only_a_period_that_has_ended_is_appraised_and_the_period_matches_the_rule(sessions):
    rule_id = await make_rule(sessions)
    quarterly = await make_rule(sessions, {**RULE, "period": "quarter"})
    for rule, period, message in [(rule_id, "2026-12", "has not ended"), (rule_id, "2026-Q4", "month"),
                                  (quarterly, "2026-11", "quarter"), (quarterly, "2026-Q4", "has not ended")]:
        with pytest.raises(InvalidInput) as caught:
            async with sessions() as session:
                await appraisals.run_appraisal(session, rule_id=rule, period=period, now=NOW)
        assert caught.value.extensions["errors"][0]["field"] == "period" and message in str(caught.value)
    async with sessions() as session:
        summary = await appraisals.run_appraisal(session, rule_id=quarterly, period="2026-Q3", now=NOW)
    assert (summary.start, summary.end) == (T("2026-06-30T16:00:00+00:00"), T("2026-09-30T16:00:00+00:00"))
