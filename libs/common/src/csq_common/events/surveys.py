"""Survey events (survey-svc → csq.surveys, keyed by invitation id)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from csq_common.events.envelope import EventData, Id


# ---- surveys (survey-svc → csq.surveys, keyed by invitation id) -----------------------------


#: A question's dimension: attitude, response_speed, problem_solving, professionalism, overall or
#: a custom lowercase slug (survey-svc's definitions and kpi-svc's filter use the same rule).
DIMENSION_PATTERN = r"^[a-z][a-z0-9_-]*$"
Dimension = Annotated[str, StringConstraints(pattern=DIMENSION_PATTERN, max_length=50)]
#: The fixed scales of the standard question types (docs/architecture.md "KPI definitions").
ANSWER_SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}


class SurveyAttribution(EventData):
    """Fixed when the invitation is created: the ticket's team, agent and channel at close travel
    with the invitation, its answer and its expiry, so a later reassignment moves no credit."""

    domain: ClassVar[str] = "surveys"
    invitation_id: Id | None = None
    survey_id: Id
    survey_version: int = Field(ge=1)
    campaign_id: Id | None = None
    ticket_id: Id | None = None
    team_id: Id | None = None
    agent_id: Id | None = None
    channel: str | None = Field(None, max_length=50)  # the ticket's channel (email, chat, phone, …)
    anonymous: bool = False


class OneClickQuestion(BaseModel):
    """The first CSAT/NPS/CES question, rendered as a row of links in the invitation email."""

    model_config = ConfigDict(extra="ignore")
    question_id: str
    prompt: str
    min: int
    max: int
    low_label: str | None = None
    high_label: str | None = None


class SurveyInvited(SurveyAttribution):
    """An invitation went out (``reminder`` false) or its single reminder did (``reminder`` true).

    For ``delivery == "email"`` the recipient and the survey link travel only sealed for
    notify-svc (see :mod:`csq_common.sealing`): ``sealed_message`` holds the recipient
    (a :class:`SealedContact`, sealed by feedback-svc into the ``ticket.closed`` event, or by
    survey-svc for an explicit recipient, and kept opaque by survey-svc) and ``sealed_link`` the
    survey link (``{"survey_link"}``, sealed when the invitation is sent, the only moment its
    one-time token exists: survey-svc stores only the token's hash). The event log and survey-svc's
    tables never hold either readable. A reminder (``reminder`` true) carries neither: notify-svc
    reuses the recipient and link of the invitation email it already delivered."""

    event_type: ClassVar[str] = "survey.invited"
    invitation_id: str
    delivery: Literal["email", "link"]
    locale: str = Field(max_length=35)
    invited_at: AwareDatetime
    expires_at: AwareDatetime
    reminder: bool = False
    sealed_message: str | None = None
    sealed_link: str | None = None
    one_click: OneClickQuestion | None = None


class NumericAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    question_id: Id
    type: Literal["csat", "nps", "ces", "rating"]
    dimension: Dimension
    value: int
    scale_max: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _on_its_scale(self):
        low, high = ANSWER_SCALES.get(self.type, (1, self.scale_max))
        if not low <= self.value <= high:
            raise ValueError(f"value {self.value} is outside the {self.type} scale {low}-{high}")
        return self


class SurveyAnswered(SurveyAttribution):
    event_type: ClassVar[str] = "survey.answered"
    response_id: str
    invited_at: AwareDatetime | None = None  # survey_response_pct is attributed to it
    answered_at: AwareDatetime
    response_channel: Literal["web", "api", "phone"]
    customer_id: str | None = None  # always None for anonymous campaigns
    answers: list[NumericAnswer] = Field(default_factory=list)


class SurveyExpired(SurveyAttribution):
    event_type: ClassVar[str] = "survey.expired"
    invitation_id: str
    invited_at: AwareDatetime
    expired_at: AwareDatetime


SURVEY_EVENTS: dict[str, type[SurveyAttribution]] = {
    cls.event_type: cls for cls in (SurveyInvited, SurveyAnswered, SurveyExpired)
}
