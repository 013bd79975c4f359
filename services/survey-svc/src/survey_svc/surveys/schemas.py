"""The shape of a survey definition and of what the API returns.

Only shape lives here (types, lengths, allowed literals); the rules that relate one field to
another (translations per declared language, scales, follow-up conditions) are in
``definitions.py`` so that every problem is reported at once, each naming its field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from csq_common import events
from csq_common.types import storable_str

Language = Literal["zh-CN", "en"]
QuestionType = Literal["csat", "nps", "ces", "rating", "single_choice", "multiple_choice", "text"]
SurveyStatus = Literal["active", "retired"]

# A stable, client-given key (question or choice), e.g. "q1", "too_slow".
Key = storable_str(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=50)
# attitude, response_speed, problem_solving, professionalism, overall, or a custom lowercase slug.
Dimension = events.Dimension
Text = storable_str(min_length=1, max_length=2000)
Label = storable_str(min_length=1, max_length=200)
Name = storable_str(min_length=1, max_length=200)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuestionTexts(_Strict):
    """A question's texts in one language."""

    prompt: Text
    low_label: Label | None = None  # scale questions: the text beside the lowest value
    high_label: Label | None = None  # ... and beside the highest


class Choice(_Strict):
    key: Key
    labels: dict[Language, Label]


class Scale(_Strict):
    """The scale of a ``rating`` question: 1..max (max in 2..10)."""

    max: int


class ShowIf(_Strict):
    """Show the question only when the answer to an earlier numeric question is ≤ ``at_most``."""

    question: Key
    at_most: int


class Question(_Strict):
    key: Key
    type: QuestionType
    dimension: Dimension = "overall"
    required: bool = True  # a follow-up is required only when it is shown
    texts: dict[Language, QuestionTexts]
    scale: Scale | None = None
    choices: list[Choice] | None = Field(default=None, max_length=50)
    show_if: ShowIf | None = None


class SurveyDefinition(_Strict):
    """A whole questionnaire: the body of POST and PUT, and what a published version freezes."""

    name: Name
    default_language: Language
    languages: list[Language] | None = Field(default=None, max_length=10, description="declared languages; [default_language] when omitted")
    questions: list[Question] = Field(default_factory=list, max_length=200)


class SurveyPatch(_Strict):
    """PATCH: the fields given replace the draft's (``questions`` as a whole list)."""

    name: Name | None = None
    default_language: Language | None = None
    languages: list[Language] | None = Field(default=None, max_length=10)
    questions: list[Question] | None = Field(default=None, max_length=200)


class SurveyRead(BaseModel):
    """A survey: its current draft, its status and its latest published version."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: SurveyStatus
    name: str
    default_language: Language
    languages: list[Language]
    questions: list[Question]
    latest_version: int | None
    has_unpublished_changes: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime
    published_at: AwareDatetime | None
    retired_at: AwareDatetime | None

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, value: Any) -> Any:
        return _expand(value, cls)


class SurveyPage(BaseModel):
    items: list[SurveyRead]
    next_cursor: str | None


class SurveyVersionRead(BaseModel):
    """One published version: an immutable snapshot of the definition."""

    survey_id: str
    version: int
    published_at: AwareDatetime
    name: str
    default_language: Language
    languages: list[Language]
    questions: list[Question]

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, value: Any) -> Any:
        return _expand(value, cls)


def _expand(value: Any, cls: type[BaseModel]) -> Any:
    """A row (Survey or SurveyVersion) with its stored definition spread into the fields."""
    definition = getattr(value, "definition", None)
    if isinstance(definition, dict):
        fields = {name: getattr(value, name) for name in cls.model_fields if hasattr(value, name)}
        fields.update({name: definition[name] for name in ("name", "default_language", "languages", "questions")})
        return fields
    return value
