"""The editable rules (categories and kinds with keywords, severity rules), corrections and the
classification report."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from csq_common.events import FeedbackChannel, FeedbackKind, FeedbackPriority
from csq_common.types import IdStr, storable_str

Language = Literal["zh-CN", "en"]
CategoryKey = storable_str(pattern=r"^[a-z][a-z0-9_]{0,49}$")
Keyword = storable_str(min_length=1, max_length=100, strip_whitespace=True)
Keywords = Annotated[list[Keyword], Field(max_length=500)]
FALLBACK_CATEGORY = "other"


class CategoryRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: CategoryKey
    names: dict[Language, storable_str(min_length=1, max_length=100)] = Field(default_factory=dict)
    keywords: dict[Language, Keywords] = Field(default_factory=dict)


class ClassificationRules(BaseModel):
    """Categories in order of precedence (a tie goes to the earlier one) and the kind keywords.
    The category ``other`` must be in the list: it is what matches nothing else."""

    model_config = ConfigDict(extra="forbid")
    categories: list[CategoryRule] = Field(min_length=1, max_length=50)
    kinds: dict[FeedbackKind, dict[Language, Keywords]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _keys(self):
        keys = [category.key for category in self.categories]
        if len(set(keys)) != len(keys):
            raise ValueError("categories: each key may appear once")
        if FALLBACK_CATEGORY not in keys:
            raise ValueError(f"categories: must include {FALLBACK_CATEGORY!r}, the category of what matches no keyword")
        return self

    def category_keys(self) -> list[str]:
        return [category.key for category in self.categories]


class ClassificationRulesRead(ClassificationRules):
    version: int
    updated_at: AwareDatetime | None
    updated_by: str | None


# ---- severity rules ------------------------------------------------------------------------

Severity = Annotated[int, Field(ge=1, le=4)]
RuleId = storable_str(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: RuleId
    severity: Severity


class ChannelRule(_Rule):
    """Fires for items from these channels (of these kinds, with at most ``max_rating`` stars)."""

    type: Literal["channel"]
    channels: list[FeedbackChannel] = Field(min_length=1)
    kinds: list[FeedbackKind] | None = None
    max_rating: int | None = Field(None, ge=1, le=5)


class RepeatComplaintRule(_Rule):
    """Fires for a complaint whose customer complained ``min_previous`` times in the days before."""

    type: Literal["repeat_complaint"]
    within_days: int = Field(30, ge=1, le=3650)
    min_previous: int = Field(1, ge=1, le=1000)


class WordsRule(_Rule):
    """Fires when the text holds one of the words (case-insensitive; Latin words whole)."""

    type: Literal["words"]
    words: list[Keyword] = Field(min_length=1, max_length=500)


class TagRule(_Rule):
    """Fires when the item carries one of the tags (case-insensitive), e.g. ``vip``."""

    type: Literal["tag"]
    tags: list[Keyword] = Field(min_length=1, max_length=100)


SeverityRule = Annotated[ChannelRule | RepeatComplaintRule | WordsRule | TagRule, Field(discriminator="type")]


class SeverityRules(BaseModel):
    """Severity = the highest of the kind's base and the fired rules'; priority follows severity."""

    model_config = ConfigDict(extra="forbid")
    base: dict[FeedbackKind, Severity]
    priority_by_severity: dict[Literal["1", "2", "3", "4"], FeedbackPriority]
    rules: list[SeverityRule] = Field(max_length=100)

    @model_validator(mode="after")
    def _complete(self):
        missing = {"complaint", "suggestion", "praise", "enquiry"} - set(self.base)
        if missing:
            raise ValueError(f"base: needs a severity for {sorted(missing)}")
        if set(self.priority_by_severity) != {"1", "2", "3", "4"}:
            raise ValueError("priority_by_severity: needs a priority for each severity 1-4")
        ids = [rule.id for rule in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("rules: each id may appear once")
        return self


class SeverityRulesRead(SeverityRules):
    version: int
    updated_at: AwareDatetime | None
    updated_by: str | None


class FiredRule(BaseModel):
    id: str
    type: str
    severity: int
    detail: str | None = None


# ---- corrections and the report ------------------------------------------------------------


class ClassificationCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: FeedbackKind
    category: CategoryKey
    reviewer_id: IdStr
    note: storable_str(max_length=2000) | None = None


class CategoryQuality(BaseModel):
    category: str
    predicted: int  # reviewed items the rules put in this category
    actual: int  # reviewed items the reviewers put in it
    correct: int
    precision: float | None  # correct / predicted; None when nothing was predicted
    recall: float | None  # correct / actual; None when nothing is actually in it


class ClassificationReport(BaseModel):
    reviewed_items: int
    corrections: int
    kind_accuracy: float | None
    category_accuracy: float | None
    categories: list[CategoryQuality]
