"""Disputes: what an agent sends, what the arbitrator decides, what the API returns."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from csq_common.types import IdStr
from audit_svc.reviews.schemas import Answer, Comment
from audit_svc.scorecards.schemas import Key

Outcome = Literal["accepted", "partially_accepted", "rejected"]
DisputeStatus = Literal["open", "accepted", "partially_accepted", "rejected"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DisputedCategory(_Strict):
    key: Key
    proposed_answer: Answer | None = Field(None, description="the answer the agent thinks is right (a number or \"na\")")
    comment: Comment | None = None


class DisputeCreate(_Strict):
    agent_id: IdStr
    comment: Comment
    categories: list[DisputedCategory] = Field(min_length=1, max_length=500)
    arbitrator_id: IdStr | None = Field(None, description="the review's reviewer when omitted")


class DisputeResolve(_Strict):
    """``accepted``: every disputed category takes its proposed answer; ``partially_accepted``:
    ``answers`` gives the new answers of some disputed categories; ``rejected``: no change."""

    arbitrator_id: IdStr
    outcome: Outcome
    answers: dict[Key, Answer] = Field(default_factory=dict, max_length=500)
    comment: Comment | None = None


class DisputeItemRead(BaseModel):
    key: str
    comment: str | None
    proposed_answer: Answer | None
    original_score: float | None
    final_score: float | None
    changed: bool | None


class DisputeRead(BaseModel):
    id: str
    review_id: str
    agent_id: str
    reviewer_id: str
    arbitrator_id: str
    comment: str
    status: DisputeStatus
    resolution_comment: str | None
    review_version: int
    created_at: AwareDatetime
    resolved_at: AwareDatetime | None
    categories: list[DisputeItemRead]


class DisputePage(BaseModel):
    items: list[DisputeRead]
    next_cursor: str | None


class CategoryDisputes(BaseModel):
    key: str
    disputed: int
    changed: int
    upheld: int


class ReviewerDisputes(BaseModel):
    reviewer_id: str
    disputes: int
    open: int
    accepted: int
    partially_accepted: int
    rejected: int
    mean_resolve_seconds: float | None


class DisputeReport(BaseModel):
    disputes: int
    open: int
    outcomes: dict[Outcome, int]
    mean_resolve_seconds: float | None
    by_category: list[CategoryDisputes]
    by_reviewer: list[ReviewerDisputes]
