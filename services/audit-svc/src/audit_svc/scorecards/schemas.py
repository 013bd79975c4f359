"""The shape of a scorecard definition (docs/architecture.md "Audit scoring") and of what the API returns.

Only shape lives here (types, lengths, literals); the rules relating fields to each other
(unique keys, translations per declared language, scales, a standard category) are in
``definitions.py`` so that every problem is reported at once, each naming its field.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from csq_common.types import IdStr, storable_str

Language = Literal["zh-CN", "en"]
FixedScale = Literal["binary", "3", "4", "5"]
ScorecardStatus = Literal["draft", "published", "retired"]

# A stable, client-given key (section or category), e.g. "greeting", "verify_identity".
Key = storable_str(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=50)
Title = storable_str(min_length=1, max_length=200)
Text = storable_str(min_length=1, max_length=2000)
RootCause = storable_str(min_length=1, max_length=200)
Tag = storable_str(min_length=1, max_length=100)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class PointsScale(_Strict):
    """A points scale: any number from ``min`` to ``max``."""

    min: float = Field(ge=-1_000_000, le=1_000_000)
    max: float = Field(ge=-1_000_000, le=1_000_000)


Scale = Union[FixedScale, PointsScale]


class AnswerTexts(_Strict):
    """What one answer means, in one language: a description and examples for the reviewer."""

    description: Text
    examples: list[Text] = Field(default_factory=list, max_length=20)


class AnswerGuide(_Strict):
    """Guidance for one answer value of a category (e.g. 0 and 1 of a binary category)."""

    value: float
    texts: dict[Language, AnswerTexts]


class Category(_Strict):
    key: Key
    titles: dict[Language, Title]
    weight: float = Field(gt=0, le=1000)
    scale: Scale
    critical: bool = False
    allow_na: bool = False
    bonus: bool = False
    descriptions: dict[Language, Text] = Field(default_factory=dict)
    answers: list[AnswerGuide] = Field(default_factory=list, max_length=101)
    root_causes: list[RootCause] = Field(default_factory=list, max_length=50)


class Section(_Strict):
    key: Key
    titles: dict[Language, Title]
    categories: list[Category] = Field(min_length=1, max_length=100)


class Selection(_Strict):
    """Which tickets the scorecard applies to; an empty list matches anything."""

    channels: list[storable_str(min_length=1, max_length=50)] = Field(default_factory=list, max_length=50)
    team_ids: list[IdStr] = Field(default_factory=list, max_length=200)
    tags: list[Tag] = Field(default_factory=list, max_length=100)


#: What a scorecard scores: a conversation (a ticket or an observation), or a reviewer's review.
ScorecardUse = Literal["conversation", "review_of_review"]
USE_DESCRIPTION = "conversation: reviews of tickets and observations; review_of_review: grading a reviewer's review (POST /v1/reviews/{id}/grades)"


class ScorecardDefinition(_Strict):
    """A whole scorecard: the body of POST and PUT, and what a published version freezes."""

    name: Title
    languages: list[Language] = Field(min_length=1, max_length=10)
    titles: dict[Language, Title] = Field(default_factory=dict)
    sections: list[Section] = Field(min_length=1, max_length=50)
    selection: Selection = Field(default_factory=Selection)
    use: ScorecardUse = Field("conversation", description=USE_DESCRIPTION)


class ScorecardRead(BaseModel):
    """A scorecard as its newest version (a draft or the published one) plus its status."""

    id: str
    version: int
    status: ScorecardStatus
    published_version: int | None
    name: str
    languages: list[Language]
    titles: dict[str, str]
    sections: list[Section]
    selection: Selection
    use: ScorecardUse = "conversation"
    created_at: AwareDatetime
    updated_at: AwareDatetime
    published_at: AwareDatetime | None
    retired_at: AwareDatetime | None


class ScorecardPage(BaseModel):
    items: list[ScorecardRead]
    next_cursor: str | None


class ScorecardVersionRead(BaseModel):
    """One version of a scorecard; a published one never changes again."""

    model_config = ConfigDict(from_attributes=True)

    scorecard_id: str
    version: int
    status: Literal["draft", "published"]
    published_at: AwareDatetime | None
    name: str
    languages: list[Language]
    titles: dict[str, str]
    sections: list[Section]
    selection: Selection
    use: ScorecardUse = "conversation"

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, value: Any) -> Any:
        definition = getattr(value, "definition", None)
        if isinstance(definition, dict):
            fields = {name: getattr(value, name) for name in ("scorecard_id", "version", "status", "published_at")}
            return {**fields, **definition}
        return value
