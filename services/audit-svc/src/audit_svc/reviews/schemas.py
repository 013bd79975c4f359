"""The request of ``POST /v1/reviews`` (docs/architecture.md "Audit scoring") and what a review reads as."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from csq_common.types import IdStr, UtcInstant, storable_str
from audit_svc.scorecards.schemas import Key, RootCause

Method = Literal["internal", "external", "third_party", "mystery_shopper", "on_site", "peer", "calibration"]
NA = Literal["na"]
Answer = Union[float, NA]
Comment = storable_str(min_length=1, max_length=4000)
Short = storable_str(min_length=1, max_length=200)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ObservationContext(_Strict):
    """Free-form context of an observation without a ticket (mystery shopper, on-site audit)."""

    store: Short | None = None
    location: Short | None = None
    date: dt.date | None = None
    observer: Short | None = None
    notes: Comment | None = None


class ReviewAnswers(_Strict):
    """The answered scorecard: a number on the category's scale or "na" per category key."""

    answers: dict[Key, Answer] = Field(max_length=500)
    root_causes: dict[Key, list[RootCause]] = Field(default_factory=dict, max_length=500)
    comments: dict[Key, Comment] = Field(default_factory=dict, max_length=500)


class ReviewCreate(ReviewAnswers):
    scorecard_id: IdStr
    scorecard_version: int | None = Field(None, ge=1, le=2_147_483_647, description="the latest published when omitted")
    plan_id: IdStr | None = None
    ticket_id: IdStr | None = None
    agent_id: IdStr
    team_id: IdStr | None = None
    channel: storable_str(min_length=1, max_length=50) | None = None
    method: Method = "internal"
    reviewer_id: IdStr
    context: ObservationContext | None = None
    started_at: UtcInstant | None = Field(None, description="when the reviewer opened the ticket (for the average review time)")


class CategoryRead(BaseModel):
    key: str
    section_key: str
    answer: Answer | None
    score: float | None
    weight: float
    critical: bool
    bonus: bool
    root_causes: list[str]
    comment: str | None


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scorecard_id: str
    scorecard_version: int
    plan_id: str | None
    method: Method
    ticket_id: str | None
    agent_id: str
    team_id: str | None
    channel: str | None
    reviewer_id: str
    context: dict[str, Any] | None
    score: float | None
    failed_critical: bool
    counts_for_agent: bool
    calibration_id: str | None
    version: int
    started_at: AwareDatetime | None
    reviewed_at: AwareDatetime
    updated_at: AwareDatetime
    categories: list[CategoryRead]


class TranscriptMessage(BaseModel):
    """One message of the reviewed ticket's conversation, as audit-svc received it."""

    message_id: str
    author_role: Literal["customer", "agent", "bot", "system"]
    author_id: str | None
    public: bool = Field(description="false: an internal note")
    sent_at: AwareDatetime
    text: str = Field(description="empty once the customer who wrote it was erased")
    language: str | None
    erased: bool


class ReviewDetail(ReviewRead):
    """A review with the transcript of its ticket (empty for an observation without a ticket)."""

    transcript: list[TranscriptMessage] = Field(description="the ticket's messages in the order they were sent")


class ReviewPage(BaseModel):
    items: list[ReviewRead]
    next_cursor: str | None
