"""A published survey and invitations to answer it, written straight into the database."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta
from typing import Any

from csq_common.db import utcnow
from survey_svc.campaigns.models import Campaign, Invitation
from survey_svc.campaigns.tokens import mint_token, token_hash
from survey_svc.surveys import service as surveys
from survey_svc.surveys.models import SurveyVersion
from survey_svc.surveys.schemas import SurveyDefinition
from tests.surveys.factories import CSAT_PROMPT_ZH, texts

CSAT_PROMPT_EN = "How satisfied are you with our service?"
FOLLOW_UP_ZH = "我们哪里可以做得更好？"
NPS_PROMPT_ZH = "您向朋友推荐我们的可能性有多大？"


def answer_definition() -> dict[str, Any]:
    """Every question type: CSAT, a *required* follow-up after CSAT ≤ 3, NPS, a single choice, a
    rating 1..10, an optional multiple choice and an optional CES."""
    return copy.deepcopy(
        {
            "name": "售后满意度",
            "default_language": "zh-CN",
            "languages": ["zh-CN", "en"],
            "questions": [
                {
                    "key": "q1", "type": "csat", "dimension": "attitude",
                    "texts": {
                        "zh-CN": {"prompt": CSAT_PROMPT_ZH, "low_label": "非常不满意", "high_label": "非常满意"},
                        "en": {"prompt": CSAT_PROMPT_EN, "low_label": "Very dissatisfied", "high_label": "Very satisfied"},
                    },
                },
                {
                    "key": "q2", "type": "text", "required": True,
                    "texts": texts(FOLLOW_UP_ZH, "What could we have done better?"),
                    "show_if": {"question": "q1", "at_most": 3},
                },
                {"key": "q3", "type": "nps", "texts": texts(NPS_PROMPT_ZH, "How likely are you to recommend us?")},
                {
                    "key": "q4", "type": "single_choice", "dimension": "response_speed",
                    "texts": texts("回复速度如何？", "How fast did we reply?"),
                    "choices": [
                        {"key": "fast", "labels": {"zh-CN": "很快", "en": "Fast"}},
                        {"key": "slow", "labels": {"zh-CN": "太慢", "en": "Too slow"}},
                    ],
                },
                {"key": "q5", "type": "rating", "dimension": "professionalism", "scale": {"max": 10}, "texts": texts("专业程度", "Professionalism")},
                {
                    "key": "q6", "type": "multiple_choice", "required": False,
                    "texts": texts("哪些方面做得好？", "What went well?"),
                    "choices": [
                        {"key": "polite", "labels": {"zh-CN": "礼貌", "en": "Polite"}},
                        {"key": "quick", "labels": {"zh-CN": "迅速", "en": "Quick"}},
                        {"key": "expert", "labels": {"zh-CN": "专业", "en": "Expert"}},
                    ],
                },
                {"key": "q7", "type": "ces", "dimension": "problem_solving", "required": False, "texts": texts("解决问题容易吗？", "How easy was it to get help?")},
            ],
        }
    )


def good_answers(**changes: Any) -> dict[str, Any]:
    answers = {"q1": 5, "q3": 9, "q4": "fast", "q5": 8, "q6": ["polite", "quick"], "q7": 6}
    answers.update(changes)
    return {key: value for key, value in answers.items() if value is not None}


async def published_version(session, body: dict[str, Any] | None = None) -> SurveyVersion:
    survey = await surveys.create_survey(session, SurveyDefinition.model_validate(body or answer_definition()), author="test")
    return await surveys.publish_survey(session, survey.id, author="test")


async def campaign(session, version: SurveyVersion, *, anonymous: bool = False) -> Campaign:
    row = Campaign(
        id=str(uuid.uuid4()), name="after tickets", survey_id=version.survey_id, survey_version=version.version,
        trigger="ticket_closed", filters={}, delivery="email", anonymous=anonymous, status="active", created_by="test",
    )
    session.add(row)
    await session.flush()
    return row


async def invitation(
    session,
    version: SurveyVersion,
    *,
    status: str = "sent",
    locale: str = "zh-CN",
    anonymous: bool = False,
    customer_id: str | None = "C-9",
    expires_at: datetime | None = None,
    with_token: bool = True,
) -> tuple[Invitation, str]:
    """An invitation and the token of its link (sent 1 h ago, expiring in 7 days by default). A
    scheduled one is due tomorrow, so the running scheduler leaves it alone."""
    now = utcnow()
    token = mint_token()
    owner = await campaign(session, version, anonymous=anonymous)
    row = Invitation(
        id=str(uuid.uuid4()), campaign_id=owner.id, survey_id=version.survey_id, survey_version=version.version,
        status=status, delivery="email", locale=locale, anonymous=anonymous,
        token_hash=token_hash(token) if with_token else None,
        ticket_id="T-1001", ticket_closed_at=now - timedelta(hours=2), team_id="billing", agent_id="A-7", channel="email",
        customer_id=customer_id, send_at=now + timedelta(days=1) if status == "scheduled" else now - timedelta(hours=1), invited_at=now - timedelta(hours=1),
        expires_at=expires_at or now + timedelta(days=7),
    )
    session.add(row)
    await session.flush()
    return row, token


async def setup(app, **invitation_options) -> tuple[Invitation, str, SurveyVersion]:
    """A published survey and one invitation, committed through the app's own database."""
    async with app.state.sessions() as session:
        version = await published_version(session)
        row, token = await invitation(session, version, **invitation_options)
        await session.commit()
    return row, token, version


async def more_invitations(app, version: SurveyVersion, *options: dict[str, Any]) -> list[tuple[Invitation, str]]:
    async with app.state.sessions() as session:
        made = [await invitation(session, version, **option) for option in options]
        await session.commit()
    return made
