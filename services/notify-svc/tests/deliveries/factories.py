"""Request bodies for POST /v1/deliveries, and the survey.invited and feedback.replied events notify-svc consumes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from csq_common.db import utcnow
from csq_common.events import CloudEvent, FeedbackReplied, SurveyInvited, make_event
from csq_common.sealing import DEVELOPMENT_PUBLIC_KEY, seal

WRITER = {"Authorization": "Bearer writer-key"}
READER = {"Authorization": "Bearer reader-key"}
SURVEY_LINK = "https://survey.example.com/s/tok-123"


def invitation_variables(**overrides: Any) -> dict[str, Any]:
    variables = {
        "customer_name": "李雷",
        "survey_link": SURVEY_LINK,
        "expires_at": "2026-11-27T10:00:00Z",
        "one_click": {"question_prompt": "您对本次服务满意吗？", "min": 1, "max": 5, "low_label": "很不满意", "high_label": "非常满意"},
    }
    variables.update(overrides)
    return {k: v for k, v in variables.items() if v is not None}


def delivery_body(*, email: str = "li.lei@example.com", name: str | None = "李雷", locale: str = "zh-CN", **overrides: Any) -> dict[str, Any]:
    body = {
        "channel": "email",
        "to": {"email": email, **({"name": name} if name else {})},
        "locale": locale,
        "template": "survey_invitation",
        "variables": invitation_variables(),
        "idempotency_key": f"inv-{uuid.uuid4().hex[:12]}",
    }
    body.update(overrides)
    return body


# ---- survey.invited events (survey-svc → csq.surveys) -------------------------------------------

ONE_CLICK = {"question_id": "q-csat", "prompt": "您对本次服务满意吗？", "min": 1, "max": 5, "low_label": "很不满意", "high_label": "非常满意"}


def sealed_invitation(
    *, email: str = "li.lei@example.com", name: str | None = "李雷",
    customer_name: str | None = "李雷", locale: str = "zh-CN", public_key: str = DEVELOPMENT_PUBLIC_KEY,
    customer_id: str | None = "C-9",
) -> str:  # fmt: skip
    """The contact feedback-svc seals for notify-svc into ``ticket.closed`` (``sealed_message``)."""
    payload = {"to": {"email": email, "name": name}, "customer_name": customer_name, "customer_id": customer_id, "locale": locale}
    return seal(payload, public_key)


def sealed_survey_link(*, survey_link: str = SURVEY_LINK, public_key: str = DEVELOPMENT_PUBLIC_KEY) -> str:
    """The link survey-svc seals for notify-svc when it sends the invitation (``sealed_link``)."""
    return seal({"survey_link": survey_link}, public_key)


_DEFAULT = object()


def survey_invited(
    *, invitation_id: str | None = None, sealed_message: Any = _DEFAULT, sealed_link: Any = _DEFAULT, **overrides: Any
) -> SurveyInvited:
    """A ``survey.invited``: the first one carries the sealed recipient and link by default, a
    reminder (``reminder=True``) neither, as survey-svc sends them."""
    now = utcnow().replace(microsecond=0)
    reminder = overrides.get("reminder", False)
    if sealed_message is _DEFAULT:
        sealed_message = None if reminder else sealed_invitation()
    if sealed_link is _DEFAULT:
        sealed_link = None if reminder else sealed_survey_link()
    fields: dict[str, Any] = {
        "invitation_id": invitation_id or f"inv-{uuid.uuid4().hex[:12]}",
        "survey_id": "srv-1",
        "survey_version": 1,
        "campaign_id": "cmp-1",
        "ticket_id": "T-1001",
        "team_id": "billing",
        "agent_id": "A-7",
        "channel": "email",
        "delivery": "email",
        "locale": "zh-CN",
        "invited_at": now,
        "expires_at": now + timedelta(days=7),
        "reminder": False,
        "sealed_message": sealed_message,
        "sealed_link": sealed_link,
        "one_click": ONE_CLICK,
    }
    fields.update(overrides)
    return SurveyInvited.model_validate(fields)


def invited_event(invited: SurveyInvited) -> CloudEvent:
    """The CloudEvent survey-svc would publish (a new event id each call)."""
    return make_event(invited, source="survey-svc", subject=invited.invitation_id, time=invited.invited_at)


# ---- feedback.replied events (feedback-svc → csq.feedback) --------------------------------------

CONFIRM_LINK = "https://feedback.example.com/v1/public/feedback/Zq3-confirm-tok"
REPLY_TEXT_ZH = "王女士您好，非常抱歉给您带来不便。\n您的退款 ¥199.00 已于今天原路退回，预计 1-3 个工作日到账。"
REPLY_TEXT_EN = "Hello Mr Smith,\nwe are sorry for the late parcel. A replacement left our warehouse today."


def sealed_reply(*, reply_text: str = REPLY_TEXT_ZH, confirm_link: str = CONFIRM_LINK, public_key: str = DEVELOPMENT_PUBLIC_KEY) -> str:
    """The reply and confirmation link feedback-svc seals for notify-svc (``sealed_content``)."""
    return seal({"reply_text": reply_text, "confirm_link": confirm_link}, public_key)


def feedback_replied(*, sealed_message: Any = _DEFAULT, sealed_content: Any = _DEFAULT, **overrides: Any) -> FeedbackReplied:
    """A ``feedback.replied`` as feedback-svc publishes it, to 王芳 in Chinese by default."""
    now = utcnow()
    fields: dict[str, Any] = {
        "feedback_id": f"fb-{uuid.uuid4().hex[:12]}",
        "kind": "complaint",
        "category": "billing",
        "team_id": "billing",
        "agent_id": "A-7",
        "locale": "zh-CN",
        "replied_at": now,
        "expires_at": now + timedelta(days=14),
        "sealed_message": sealed_invitation(email="wang.fang@example.com", name="王芳", customer_name="王芳", customer_id="C-42")
        if sealed_message is _DEFAULT else sealed_message,
        "sealed_content": sealed_reply() if sealed_content is _DEFAULT else sealed_content,
    }
    fields.update(overrides)
    return FeedbackReplied.model_validate(fields)


def replied_event(replied: FeedbackReplied) -> CloudEvent:
    """The CloudEvent feedback-svc would publish (a new event id each call)."""
    return make_event(replied, source="feedback-svc", subject=replied.feedback_id, time=replied.replied_at)
