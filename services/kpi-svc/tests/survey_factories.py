"""Generated survey histories as CloudEvents, and the facts the survey oracle computes from.

The facts are recorded from the generator's own choices (not read back from the events), so
``survey_oracle.py`` shares no code with the service.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from csq_common.events import CloudEvent, SurveyAnswered, SurveyExpired, SurveyInvited, make_event
from tests.factories import AGENTS, CHANNELS, ORIGIN, TEAMS, ms

SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7), "rating": (1, 10)}
DIMENSIONS = ["attitude", "response_speed", "problem_solving", "professionalism", "overall", "after-sales_2"]


@dataclass(frozen=True)
class Invitation:
    invitation_id: str
    invited_at: datetime
    team: str | None
    agent: str | None
    channel: str | None


@dataclass(frozen=True)
class Answer:
    at: datetime  # answered_at
    team: str | None
    agent: str | None
    channel: str | None
    type: str
    dimension: str
    value: int


@dataclass(frozen=True)
class Credit:
    """One answered invitation, at the invitation's invited_at."""

    at: datetime
    team: str | None
    agent: str | None
    channel: str | None


@dataclass
class SurveyHistory:
    events: list[CloudEvent] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)


def attribution(team, agent, channel, **fields) -> dict:
    return {"survey_id": "S-1", "survey_version": 1, "team_id": team, "agent_id": agent, "channel": channel, **fields}


def survey_event(model, data: dict, at: datetime, *, event_id: str | None = None) -> CloudEvent:
    payload = model(**data)
    return make_event(
        payload, source="test/survey-svc", subject=data.get("invitation_id") or data.get("response_id") or "x",
        time=at, event_id=event_id or str(uuid.uuid4()),
    )


def invited(invitation_id: str, invited_at: datetime, team=None, agent=None, channel=None, *, reminder=False, **extra) -> CloudEvent:
    data = attribution(
        team, agent, channel, invitation_id=invitation_id, delivery="link", locale="en", invited_at=invited_at,
        expires_at=invited_at + timedelta(days=7), reminder=reminder, **extra,
    )
    return survey_event(SurveyInvited, data, invited_at)


def answered(
    response_id: str, answered_at: datetime, answers: list[tuple[str, str, int]], team=None, agent=None, channel=None,
    *, invitation_id: str | None = None, invited_at: datetime | None = None, response_channel="web",
) -> CloudEvent:
    """``answers``: (type, dimension, value) triples."""
    data = attribution(
        team, agent, channel, invitation_id=invitation_id, response_id=response_id, invited_at=invited_at,
        answered_at=answered_at, response_channel=response_channel,
        answers=[
            {"question_id": f"q{n}", "type": kind, "dimension": dimension, "value": value, "scale_max": SCALES[kind][1]}
            for n, (kind, dimension, value) in enumerate(answers)
        ],
    )
    return survey_event(SurveyAnswered, data, answered_at)


def expired(invitation_id: str, invited_at: datetime, team=None, agent=None, channel=None) -> CloudEvent:
    data = attribution(team, agent, channel, invitation_id=invitation_id, invited_at=invited_at,
                       expired_at=invited_at + timedelta(days=7))
    return survey_event(SurveyExpired, data, invited_at + timedelta(days=7))


def random_answers(rng: random.Random) -> list[tuple[str, str, int]]:
    out = []
    for _ in range(rng.choice([1, 1, 2, 3, 4])):
        kind = rng.choice(["csat", "csat", "nps", "ces", "rating"])
        low, high = SCALES[kind]
        out.append((kind, rng.choice(DIMENSIONS), rng.randint(low, high)))
    return out


def generate_surveys(rng: random.Random, invitations: int, *, origin: datetime = ORIGIN) -> SurveyHistory:
    history = SurveyHistory()
    add = history.events.append
    for number in range(invitations):
        iid = f"I-{number}"
        team = rng.choice(TEAMS)
        agent = rng.choice(AGENTS[team])
        channel = rng.choice(CHANNELS)
        at = origin + ms(rng.randrange(0, 26 * 3600 * 1000))
        add(invited(iid, at, team, agent, channel))
        if rng.random() < 0.15:  # survey-svc published it again under a new event id
            add(invited(iid, at, team, agent, channel))
        if rng.random() < 0.3:  # its reminder: the same invitation, not a new one
            add(invited(iid, at + timedelta(days=2), team, agent, channel, reminder=True))
        history.invitations.append(Invitation(iid, at, team, agent, channel))
        if rng.random() < 0.4:
            if rng.random() < 0.3:
                add(expired(iid, at, team, agent, channel))
            continue
        answered_at = at + ms(rng.randrange(1000, 30 * 3600 * 1000))  # often in a later bucket
        answers = random_answers(rng)
        response = answered(f"R-{number}", answered_at, answers, team, agent, channel, invitation_id=iid, invited_at=at)
        for _ in range(rng.choice([1, 1, 1, 2, 3])):  # the same response under new event ids
            add(CloudEvent(**{**response.model_dump(), "id": str(uuid.uuid4())}))
        history.credits.append(Credit(at, team, agent, channel))
        history.answers += [Answer(answered_at, team, agent, channel, *a) for a in answers]
    for number in range(invitations // 10):  # phone answers without an invitation: no rate credit
        team = rng.choice(TEAMS)
        agent = rng.choice(AGENTS[team])
        answered_at = origin + ms(rng.randrange(0, 26 * 3600 * 1000))
        answers = random_answers(rng)
        add(answered(f"P-{number}", answered_at, answers, team, agent, "phone", response_channel="phone"))
        history.answers += [Answer(answered_at, team, agent, "phone", *a) for a in answers]
    return history
