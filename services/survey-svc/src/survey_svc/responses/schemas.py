"""The public answer API's shapes: the survey as a customer sees it, and the answers sent."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from survey_svc.surveys.definitions import scale_of
from survey_svc.surveys.schemas import Language, Question, QuestionType, ShowIf, SurveyDefinition

# {question_key: value}: an integer (csat, nps, ces, rating), a choice key (single_choice), a list
# of choice keys (multiple_choice) or a string (text). The rules are in validation.py.
Answers = dict[str, Any]


class AnswersSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: Answers = Field(max_length=200)


class PhoneAnswersSubmit(BaseModel):
    """Answers taken by an internal system (a phone interview, a kiosk)."""

    model_config = ConfigDict(extra="forbid")

    answers: Answers = Field(max_length=200)
    channel: Literal["phone", "api"] = "phone"


class ResponseCreated(BaseModel):
    response_id: str
    answered_at: AwareDatetime


class ScaleView(BaseModel):
    min: int
    max: int


class ChoiceView(BaseModel):
    key: str
    label: str


class QuestionView(BaseModel):
    key: str
    type: QuestionType
    prompt: str
    low_label: str | None = None
    high_label: str | None = None
    scale: ScaleView | None = None
    choices: list[ChoiceView] | None = None
    required: bool
    show_if: ShowIf | None = None


class SurveyView(BaseModel):
    """The survey of one invitation, in one language."""

    survey_id: str
    survey_version: int
    name: str
    language: Language
    languages: list[Language]
    expires_at: AwareDatetime | None
    questions: list[QuestionView]


def question_view(question: Question, language: str) -> QuestionView:
    texts = question.texts[language]
    scale = scale_of(question)
    return QuestionView(
        key=question.key,
        type=question.type,
        prompt=texts.prompt,
        low_label=texts.low_label,
        high_label=texts.high_label,
        scale=ScaleView(min=scale[0], max=scale[1]) if scale else None,
        choices=[ChoiceView(key=choice.key, label=choice.labels[language]) for choice in question.choices] if question.choices else None,
        required=question.required,
        show_if=question.show_if,
    )


def survey_view(definition: SurveyDefinition, *, survey_id: str, version: int, language: str, expires_at) -> SurveyView:
    return SurveyView(
        survey_id=survey_id,
        survey_version=version,
        name=definition.name,
        language=language,
        languages=definition.languages or [definition.default_language],
        expires_at=expires_at,
        questions=[question_view(question, language) for question in definition.questions],
    )
