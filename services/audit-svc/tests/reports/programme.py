"""A generated month and a half of audits for the report tests, and an independent oracle.

The reviews are stored through the service functions with their own clock (``now``), since a
review's time is its submission time: random answers with root causes on low ones, critical
fails, two all-N/A reviews, one review disputed and re-scored (version 2), one calibration review
and one review outside the window. The oracle recomputes every figure from the answers given,
in exact fractions, following the scoring rules of docs/architecture.md and the report's
definitions in docs/audits.md; it never reads what the service stored.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from audit_svc.disputes import service as disputes
from audit_svc.disputes.schemas import DisputeCreate, DisputeResolve
from audit_svc.reviews import service as reviews
from audit_svc.reviews.schemas import ReviewAnswers, ReviewCreate
from audit_svc.tickets import service as intake
from tests.reviews.oracle import categories, category_score, expected, random_answer
from tests.plans.factories import plan
from tests.scorecards.factories import READER, definition
from tests.tickets.factories import closed

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
TOPIC = "test.audits"
# Monday 5 October to Monday 30 November 2026 in New York: the clocks go back on 1 November.
START = datetime(2026, 10, 5, tzinfo=NEW_YORK).astimezone(UTC)
END = datetime(2026, 11, 30, tzinfo=NEW_YORK).astimezone(UTC)
# No review in the week of 16 November (New York): its bucket must be listed, empty.
GAP = (datetime(2026, 11, 16, tzinfo=NEW_YORK).astimezone(UTC), datetime(2026, 11, 23, tzinfo=NEW_YORK).astimezone(UTC))
AGENTS = {"A-1": "billing", "A-2": "billing", "A-3": "billing", "A-4": "sales", "A-5": "sales"}


def all_na_definition() -> dict:
    """tests.scorecards.factories.definition() with N/A allowed everywhere (for all-N/A reviews)."""
    body = copy.deepcopy(definition())
    for section in body["sections"]:
        for category in section["categories"]:
            category["allow_na"] = True
    return body


@dataclass
class Given:
    """A review as the test submitted it (after its dispute, if any)."""

    agent_id: str
    team_id: str
    plan_id: str | None
    method: str
    ticket_id: str | None
    reviewed_at: datetime
    answers: dict[str, Any]
    root_causes: dict[str, list[str]] = field(default_factory=dict)
    counts: bool = True


@dataclass
class Programme:
    definition: dict
    scorecard_id: str
    given: list[Given]
    closures: list[tuple[str, str, str, datetime]]  # ticket, agent, team, closed_at
    plans: list[str]  # the weekly plan (billing, rate 0.15), the mystery-shopper plan (any scope, 0.05)


def _in_gap(moment: datetime) -> bool:
    return GAP[0] <= moment < GAP[1]


def _moment(rng: random.Random) -> datetime:
    span = int((END - START).total_seconds())
    while True:
        moment = START + timedelta(seconds=rng.randrange(span))
        if not _in_gap(moment):
            return moment


def _root_causes(rng: random.Random, body: dict, answers: dict) -> dict[str, list[str]]:
    chosen = {}
    for category in categories(body):
        score = category_score(answers[category["key"]], category["scale"])
        offered = category.get("root_causes") or []
        if offered and score is not None and score < 100 and rng.random() < 0.7:
            chosen[category["key"]] = rng.sample(offered, rng.randint(1, len(offered)))
    return chosen


def plan_reviews(body: dict, plans: list[str], *, seed: int = 15, count: int = 36) -> list[Given]:
    """``plans``: the weekly plan's id, then the mystery-shopper plan's."""
    weekly, mystery = plans
    rng = random.Random(seed)
    given = []
    for number in range(count):
        agent = rng.choice(sorted(AGENTS))
        answers = {c["key"]: random_answer(rng, c, na_rate=0.15) for c in categories(body)}
        if number % 9 == 0:
            answers["verify_identity"] = 0  # a critical fail
        plan = rng.choice([weekly, mystery, None])
        method = "mystery_shopper" if plan == mystery else rng.choice(["internal", "peer"])
        given.append(Given(agent, AGENTS[agent], plan, method, f"T-{number:03d}", _moment(rng), answers, _root_causes(rng, body, answers)))
    all_na = {c["key"]: "na" for c in categories(body)}
    given.append(Given("A-1", "billing", weekly, "internal", "T-100", _moment(rng), dict(all_na)))
    given.append(Given("A-4", "sales", None, "internal", "T-101", _moment(rng), dict(all_na)))
    # Near bucket edges in Kathmandu (+05:45): Monday 26 October 00:10 and Sunday 25 October 23:50 local.
    kathmandu = ZoneInfo("Asia/Kathmandu")
    for ticket, local in (("T-102", datetime(2026, 10, 26, 0, 10)), ("T-103", datetime(2026, 10, 25, 23, 50))):
        answers = {c["key"]: random_answer(rng, c, na_rate=0) for c in categories(body)}
        given.append(Given("A-2", "billing", weekly, "internal", ticket, local.replace(tzinfo=kathmandu).astimezone(UTC), answers))
    return given


async def store(sessions, card: dict, body: dict) -> Programme:
    """Store the generated reviews, a disputed one, a calibration one, one outside the window,
    and the ticket closures the coverage reads."""
    scorecard_id = card["scorecard_id"]
    async with sessions() as session:
        weekly = await plan(session, scorecard_id=scorecard_id, scope={"team_ids": ["billing"]}, sampling={"rate": "0.15", "min_per_agent": 1})
        mystery = await plan(session, name="神秘顾客暗访", method="mystery_shopper", scorecard_id=scorecard_id, scope={}, sampling={"rate": "0.05"})
        plans = [weekly.id, mystery.id]
        given = plan_reviews(body, plans)
        for review in given:
            await reviews.create_review(session, _create(scorecard_id, review), topic=TOPIC, now=review.reviewed_at)

        # Disputed: greeting 0 → 1 and accuracy 2 → 4 after a partial acceptance (version 2).
        first = {c["key"]: random_answer(random.Random(3), c, na_rate=0) for c in categories(body)}
        first.update(greeting=0, accuracy=2, verify_identity=1)
        disputed = Given("A-3", "billing", weekly.id, "internal", "T-104", datetime(2026, 11, 10, 15, tzinfo=UTC), first, {"accuracy": ["培训不足"]})
        created = await reviews.create_review(session, _create(scorecard_id, disputed), topic=TOPIC, now=disputed.reviewed_at)
        later = disputed.reviewed_at + timedelta(hours=5)
        opened = await disputes.open_dispute(
            session, created["id"], DisputeCreate.model_validate({
                "agent_id": "A-3", "comment": "录音里我已报工号，且告知了正确的退款时效",
                "categories": [{"key": "greeting", "proposed_answer": 1}, {"key": "accuracy", "proposed_answer": 5}],
            }), window_days=7, now=later,
        )
        resolved = await disputes.resolve_dispute(
            session, opened["id"], DisputeResolve(arbitrator_id="QA-王芳", outcome="partially_accepted", answers={"greeting": 1, "accuracy": 4}),
            topic=TOPIC, now=later,
        )
        assert resolved["status"] == "partially_accepted"
        # Accuracy was corrected: its root cause goes with the old answer.
        disputed.answers, disputed.root_causes = {**first, "greeting": 1, "accuracy": 4}, {}
        given.append(disputed)

        # A calibration review (never counts for the agent) and one before the window.
        calibration = Given("A-1", "billing", None, "calibration", "T-000", datetime(2026, 10, 14, 9, tzinfo=UTC), {c["key"]: 0 if c["key"] == "verify_identity" else "na" for c in categories(body)}, counts=False)
        await reviews.submit_review(
            session, ReviewAnswers(answers=calibration.answers),
            fields={"ticket_id": "T-000", "agent_id": "A-1", "team_id": "billing", "method": "calibration", "reviewer_id": "QA-李明", "plan_id": None},
            scorecard_id=scorecard_id, scorecard_version=None, topic=TOPIC, calibration_id=str(uuid.uuid4()), calibration_role="participant",
            now=calibration.reviewed_at,
        )
        given.append(calibration)
        before = Given("A-2", "billing", weekly.id, "internal", "T-105", START - timedelta(minutes=1), {c["key"]: random_answer(random.Random(5), c, na_rate=0) for c in categories(body)})
        await reviews.create_review(session, _create(scorecard_id, before), topic=TOPIC, now=before.reviewed_at)
        given.append(before)

        closures = _closures(given)
        await intake.record_closures(session, [closed(ticket, closed_at=at, agent_id=agent, team_id=team) for ticket, agent, team, at in closures])
        await session.commit()
    return Programme(body, scorecard_id, given, closures, plans)


def _closures(given: list[Given]) -> list[tuple[str, str, str, datetime]]:
    """Every reviewed ticket closed a day before its review (some so fall before the window),
    and per agent a few tickets never reviewed, one of them closed after the window."""
    found = {}
    for review in given:
        if review.ticket_id is not None:
            found[review.ticket_id] = (review.ticket_id, review.agent_id, review.team_id, review.reviewed_at - timedelta(days=1))
    for index, (agent, team) in enumerate(sorted(AGENTS.items())):
        for extra in range(3 + index):
            found[f"U-{agent}-{extra}"] = (f"U-{agent}-{extra}", agent, team, START + timedelta(days=2 + 5 * extra, hours=index))
        found[f"U-{agent}-late"] = (f"U-{agent}-late", agent, team, END + timedelta(hours=1))
    return list(found.values())


def _create(scorecard_id: str, review: Given) -> ReviewCreate:
    return ReviewCreate.model_validate({
        "scorecard_id": scorecard_id, "plan_id": review.plan_id, "ticket_id": review.ticket_id, "agent_id": review.agent_id,
        "team_id": review.team_id, "channel": "phone", "method": review.method, "reviewer_id": "QA-王芳",
        "answers": review.answers, "root_causes": review.root_causes,
    })


async def report(client, **params) -> dict:
    """GET /v1/audits/report over the programme's window (unless ``from``/``to`` are given) as JSON."""
    query = {"from": START.isoformat(), "to": END.isoformat(), **params}
    response = await client.get("/v1/audits/report", params=query, headers=READER)
    assert response.status_code == 200, response.text
    return response.json()


# ---- the oracle ------------------------------------------------------------------------------


def rounded(value: Fraction | None) -> float | None:
    return None if value is None else float(round(value, 2))


def matching(programme: Programme, start: datetime, end: datetime, **filters: str) -> list[Given]:
    """Reviews that count, reviewed in [start, end), matching equality filters and ``category``."""
    found = []
    for review in programme.given:
        if not review.counts or not start <= review.reviewed_at < end:
            continue
        if any(getattr(review, name) != value for name, value in filters.items() if name != "category"):
            continue
        found.append(review)
    return found


def review_figures(programme: Programme, chosen: list[Given]) -> dict:
    scores = [expected(programme.definition, review.answers) for review in chosen]
    scored = [score for score, _, _ in scores if score is not None]
    fails = sum(1 for _, failed, _ in scores if failed)
    return {
        "reviews": len(chosen), "scored_reviews": len(scored),
        "mean_score": rounded(sum(scored, Fraction(0)) / len(scored)) if scored else None,
        "critical_fails": fails, "critical_fail_pct": rounded(Fraction(100 * fails, len(chosen))) if chosen else None,
    }


def category_figures(programme: Programme, chosen: list[Given]) -> dict[str, dict]:
    figures = {}
    for category in categories(programme.definition):
        scores = [category_score(review.answers[category["key"]], category["scale"]) for review in chosen]
        answered = [score for score in scores if score is not None]
        fails = sum(1 for score in answered if score < 50) if category.get("critical") else 0
        figures[category["key"]] = {
            "reviews": len(scores), "answered": len(answered), "na": len(scores) - len(answered),
            "mean_score": rounded(sum(answered, Fraction(0)) / len(answered)) if answered else None,
            "critical_fails": fails,
        }
    return figures


def root_cause_counts(chosen: list[Given]) -> Counter:
    return Counter((key, cause) for review in chosen for key, causes in review.root_causes.items() for cause in causes)


def bucket_key(moment: datetime, zone: ZoneInfo, interval: str) -> date:
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday()) if interval == "week" else local.replace(day=1)


def series(programme: Programme, start: datetime, end: datetime, zone: ZoneInfo, interval: str) -> list[dict]:
    """Every bucket of the window (each local day's bucket), in order, with its figures."""
    keys, day = set(), start.astimezone(zone).date()
    while day <= (end - timedelta(microseconds=1)).astimezone(zone).date():
        keys.add(bucket_key(datetime.combine(day, time(12), tzinfo=zone), zone, interval))
        day += timedelta(days=1)
    grouped = defaultdict(list)
    for review in matching(programme, start, end):
        grouped[bucket_key(review.reviewed_at, zone, interval)].append(review)
    return [{"start": datetime.combine(key, time(0), tzinfo=zone), **review_figures(programme, grouped[key])} for key in sorted(keys)]


def coverage(programme: Programme, start: datetime, end: datetime, **filters: str) -> dict[str, tuple[int, int]]:
    """agent → (closed in the window, of them with a counting review matching plan/method)."""
    reviewed = {
        review.ticket_id for review in programme.given
        if review.counts and all(getattr(review, name) == value for name, value in filters.items() if name in ("plan_id", "method"))
    }
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for ticket, agent, team, closed_at in programme.closures:
        if not start <= closed_at < end:
            continue
        if any(value != {"agent_id": agent, "team_id": team}.get(name, value) for name, value in filters.items()):
            continue
        found[agent][0] += 1
        found[agent][1] += ticket in reviewed
    return {agent: tuple(counts) for agent, counts in found.items()}
