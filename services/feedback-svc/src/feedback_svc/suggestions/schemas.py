from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from csq_common.types import IdStr, storable_str

Category = Literal["process", "tools", "training", "customer_experience", "workload", "other"]
Status = Literal["proposed", "accepted", "rejected", "implemented", "effect_reviewed"]
Text = storable_str(min_length=1, max_length=10_000)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _not_blank(cls, value):
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be blank")
        return value


class AnonymousSuggestionCreate(_Body):
    title: storable_str(min_length=1, max_length=200)
    text: Text
    category: Category = "other"
    team_id: IdStr | None = Field(None, description="only reported for teams with at least 5 anonymous suggestions")


class NamedSuggestionCreate(AnonymousSuggestionCreate):
    author_id: IdStr


class AnonymousReceipt(BaseModel):
    """Shown once: the code is the only way back to the suggestion (only its hash is kept)."""

    follow_up_code: str
    status: Status
    submitted_on: date


class FollowUp(_Body):
    code: storable_str(min_length=1, max_length=100)


class FollowUpRead(BaseModel):
    status: Status
    decision: str | None
    answer: str | None
    submitted_on: date
    changed_on: date


class Decision(_Body):
    decision: Literal["accepted", "rejected"]
    owner_id: IdStr
    note: Text
    answer: Text | None = None


class Implemented(_Body):
    note: Text | None = None


class EffectReview(_Body):
    effect: Text
    reward: bool


class Answer(_Body):
    answer: Text


class SuggestionRead(BaseModel):
    """A suggestion as managers see it; an anonymous one shows no team (small teams would single
    the sender out) and has no author."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    anonymous: bool
    title: str
    text: str
    category: str
    team_id: str | None
    author_id: str | None
    status: Status
    owner_id: str | None
    decision: str | None
    effect: str | None
    reward: bool
    answer: str | None
    submitted_on: date
    changed_on: date


class SuggestionPage(BaseModel):
    items: list[SuggestionRead]
    next_cursor: str | None


class ReportGroup(BaseModel):
    group: str | None
    named: dict[str, int]  # by status
    anonymous: dict[str, int] | None  # by status; None where the group has fewer than 5


class SuggestionReport(BaseModel):
    group_by: Literal["team", "category"]
    minimum_anonymous_group: int
    groups: list[ReportGroup]
    anonymous_in_small_groups: int | None  # None when that count itself is below the minimum
