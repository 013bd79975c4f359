"""A survey with two published versions and a few hundred seeded invitations and answers.

The generated rows are kept as plain dicts (``Data``) so the tests can recompute every figure
independently in plain Python, then written to the database as ORM rows.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from survey_svc.campaigns.models import Campaign, Invitation
from survey_svc.responses.models import Response, ResponseAnswer
from survey_svc.surveys import service as surveys
from survey_svc.surveys.schemas import SurveyDefinition

UTC = timezone.utc
START = datetime(2026, 1, 20, tzinfo=UTC)
DAYS = 60
FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)
TEAMS = {"billing": ["A-1", "A-2"], "tech": ["A-3", "A-4"], "sales": ["A-5"]}
CHANNELS = ["email", "chat", "phone"]
ZH_TEXTS = ["退款太慢了", "客服态度很好", "问题没有解决，退款还没到账", "=HYPERLINK(\"http://evil.example\")", "等了很久才有人回复"]
EN_TEXTS = ["Refund was too slow", "Great AGENT, thanks", "100% fixed_it", "-2+3", "@SUM(A1)", "The REFUND took ages"]
# Responses at fixed instants, for the time-zone checks.
FIXED_MOMENTS = [
    datetime(2026, 3, 1, 20, 0, tzinfo=UTC),  # 2026-03-02 04:00 in Shanghai
    datetime(2026, 3, 1, 18, 29, tzinfo=UTC),  # 23:59 on 03-01 in Kolkata
    datetime(2026, 3, 1, 18, 30, tzinfo=UTC),  # 00:00 on 03-02 in Kolkata
    datetime(2026, 3, 8, 4, 30, tzinfo=UTC),  # 23:30 EST on 03-07 in New York
    datetime(2026, 3, 9, 4, 30, tzinfo=UTC),  # 00:30 EDT on 03-09 (Monday) in New York
]


def _texts(zh: str, en: str) -> dict[str, Any]:
    return {"zh-CN": {"prompt": zh}, "en": {"prompt": en}}


def _choice(key: str, zh: str, en: str) -> dict[str, Any]:
    return {"key": key, "labels": {"zh-CN": zh, "en": en}}


def definition_v1() -> dict[str, Any]:
    return {
        "name": "售后满意度",
        "default_language": "zh-CN",
        "languages": ["zh-CN", "en"],
        "questions": [
            {"key": "q1", "type": "csat", "dimension": "overall", "texts": _texts("您对本次服务满意吗？", "How satisfied are you?")},
            {"key": "q2", "type": "text", "dimension": "overall", "required": False, "texts": _texts("哪里可以做得更好？", "What could be better?")},
            {"key": "q3", "type": "nps", "dimension": "overall", "texts": _texts("推荐的可能性？", "How likely to recommend?")},
            {
                "key": "q4", "type": "single_choice", "dimension": "response_speed", "texts": _texts("回复速度？", "Reply speed?"),
                "choices": [_choice("fast", "很快", "Fast"), _choice("slow", "太慢", "Too slow")],
            },
            {"key": "q5", "type": "rating", "dimension": "professionalism", "scale": {"max": 10}, "texts": _texts("专业程度", "Professionalism")},
        ],
    }


def definition_v2() -> dict[str, Any]:
    body = definition_v1()
    questions = body["questions"][:4]
    questions[3]["choices"].append(_choice("ok", "一般", "OK"))
    questions += [
        {"key": "q6", "type": "ces", "dimension": "problem_solving", "texts": _texts("解决问题是否容易？", "How easy was it?")},
        {
            "key": "q7", "type": "multiple_choice", "dimension": "attitude", "texts": _texts("您喜欢什么？", "What did you like?"),
            "choices": [_choice("polite", "礼貌", "Polite"), _choice("patient", "耐心", "Patient"), _choice("clear", "清楚", "Clear")],
        },
        {"key": "q8", "type": "csat", "dimension": "attitude", "texts": _texts("服务态度满意吗？", "Happy with the attitude?")},
        {"key": "q9", "type": "rating", "dimension": "professionalism", "scale": {"max": 5}, "texts": _texts("专业", "Expertise")},
    ]
    body["questions"] = questions
    return body


@dataclass
class Data:
    survey_id: str = ""
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    invitations: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # each with "answers": [dict]


def _answers(rng: random.Random, version: int, locale: str) -> list[dict[str, Any]]:
    out = []

    def add(key, qtype, dimension, **value):
        out.append({"question_id": key, "type": qtype, "dimension": dimension, "number": None, "choices": None, "text": None, **value})

    q1 = rng.randint(1, 5)
    add("q1", "csat", "overall", number=q1)
    if q1 <= 3 and rng.random() < 0.8:
        add("q2", "text", "overall", text=rng.choice(ZH_TEXTS if locale == "zh-CN" else EN_TEXTS))
    if rng.random() < 0.9:
        add("q3", "nps", "overall", number=rng.randint(0, 10))
    add("q4", "single_choice", "response_speed", choices=[rng.choice(["fast", "slow"] + (["ok"] if version == 2 else []))])
    if version == 1:
        add("q5", "rating", "professionalism", number=rng.randint(1, 10))
    else:
        add("q6", "ces", "problem_solving", number=rng.randint(1, 7))
        if rng.random() < 0.85:
            add("q7", "multiple_choice", "attitude", choices=rng.sample(["polite", "patient", "clear"], rng.randint(1, 3)))
        add("q8", "csat", "attitude", number=rng.randint(1, 5))
        add("q9", "rating", "professionalism", number=rng.randint(1, 5))
    return out


def generate(seed: int = 20260301, count: int = 320) -> Data:
    rng = random.Random(seed)
    data = Data()
    data.campaigns = [
        {"id": "camp-named", "anonymous": False},
        {"id": "camp-anon", "anonymous": True},
    ]
    fixed = list(FIXED_MOMENTS)
    for n in range(count):
        campaign = rng.choice(data.campaigns)
        team = rng.choice(list(TEAMS))
        invited_at = START + timedelta(seconds=rng.randrange(DAYS * 86_400))
        status = rng.choices(["answered", "sent", "expired", "scheduled", "cancelled"], [55, 15, 15, 8, 7])[0]
        answered_at = None
        if status == "answered":
            answered_at = fixed.pop() if fixed else invited_at + timedelta(seconds=rng.randrange(300, 4 * 86_400))
            invited_at = min(invited_at, answered_at - timedelta(minutes=5))
        invitation = {
            "id": f"inv-{n:04d}",
            "campaign_id": campaign["id"],
            "survey_version": 1 if invited_at < START + timedelta(days=30) else 2,
            "status": status,
            "locale": rng.choice(["zh-CN", "en"]),
            "anonymous": campaign["anonymous"],
            "ticket_id": f"T-{n}",
            "team_id": team,
            "agent_id": rng.choice(TEAMS[team]),
            "channel": rng.choice(CHANNELS),
            "customer_id": None if campaign["anonymous"] else f"C-{rng.randrange(60)}",
            "invited_at": invited_at,
            "answered_at": answered_at,
        }
        data.invitations.append(invitation)
        if status == "answered":
            data.responses.append(_response(rng, invitation, n))
    for n in range(8):  # phone interviews: no invitation, no campaign
        moment = START + timedelta(seconds=rng.randrange(DAYS * 86_400))
        team = rng.choice(list(TEAMS))
        data.responses.append(_response(rng, {
            "id": None, "campaign_id": None, "survey_version": 2, "locale": "zh-CN", "anonymous": False, "ticket_id": None,
            "team_id": team, "agent_id": rng.choice(TEAMS[team]), "channel": "phone", "customer_id": f"C-p{n}",
            "invited_at": None, "answered_at": moment,
        }, 1000 + n, response_channel="phone"))
    return data


def _response(rng: random.Random, invitation: dict[str, Any], n: int, response_channel: str | None = None) -> dict[str, Any]:
    customer_id = invitation["customer_id"]
    if invitation["anonymous"] and n % 5 == 0:
        customer_id = f"LEAK-{n}"  # must never be shown for an anonymous response
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "invitation_id": invitation["id"],
        "survey_version": invitation["survey_version"],
        "campaign_id": invitation["campaign_id"],
        "ticket_id": invitation["ticket_id"],
        "team_id": invitation["team_id"],
        "agent_id": invitation["agent_id"],
        "channel": invitation["channel"],
        "anonymous": invitation["anonymous"],
        "customer_id": customer_id,
        "response_channel": response_channel or rng.choice(["web", "api"]),
        "locale": invitation["locale"],
        "invited_at": invitation["invited_at"],
        "answered_at": invitation["answered_at"],
        "answers": _answers(rng, invitation["survey_version"], invitation["locale"]),
    }


async def create_published_survey(session) -> str:
    survey = await surveys.create_survey(session, SurveyDefinition.model_validate(definition_v1()), author="test")
    await surveys.publish_survey(session, survey.id, author="test")
    await surveys.replace_survey(session, survey.id, SurveyDefinition.model_validate(definition_v2()))
    await surveys.publish_survey(session, survey.id, author="test")
    return survey.id


async def seed(sessions, data: Data) -> Data:
    """Write ``data`` (survey, campaigns, invitations, responses, answers) and commit."""
    async with sessions() as session:
        data.survey_id = await create_published_survey(session)
        for campaign in data.campaigns:
            session.add(Campaign(
                id=campaign["id"], name=campaign["id"], survey_id=data.survey_id, survey_version=None, trigger="ticket_closed",
                filters={}, delivery="email", anonymous=campaign["anonymous"], status="active", created_by="test",
            ))
        await session.flush()
        for invitation in data.invitations:
            # Scheduled ones are due far ahead, so the running invitation scheduler leaves them be
            # (and the others carry no expiry or reminder time for it to act on).
            send_at = FAR_FUTURE if invitation["status"] == "scheduled" else invitation["invited_at"]
            session.add(Invitation(
                survey_id=data.survey_id, delivery="email", send_at=send_at,
                **{k: v for k, v in invitation.items()},
            ))
        await session.flush()
        for response in data.responses:
            fields = {k: v for k, v in response.items() if k != "answers"}
            session.add(Response(survey_id=data.survey_id, **fields))
        await session.flush()
        for response in data.responses:
            for answer in response["answers"]:
                session.add(ResponseAnswer(response_id=response["id"], **answer))
        await session.commit()
    return data
