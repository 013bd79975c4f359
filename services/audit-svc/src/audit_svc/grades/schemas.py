"""Reviews of reviews: what a grader sends and what a grade reads as."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from csq_common.types import IdStr, UtcInstant
from audit_svc.reviews.schemas import Answer, CategoryRead, ReviewAnswers
from audit_svc.scorecards.schemas import Key


class GradeCreate(ReviewAnswers):
    """``answers``/``root_causes``/``comments`` answer the ``review_of_review`` scorecard;
    ``corrections`` give, for the graded review's categories the grader disagrees with, the answer
    they would have given (every other category counts as agreed)."""

    grader_id: IdStr
    scorecard_id: IdStr
    scorecard_version: int | None = Field(None, ge=1, le=2_147_483_647, description="the latest published when omitted")
    corrections: dict[Key, Answer] = Field(default_factory=dict, max_length=500)
    started_at: UtcInstant | None = None


class ComparedCategory(BaseModel):
    key: str
    score: float
    benchmark_score: float
    alignment: float


class GradeRead(BaseModel):
    id: str
    review_id: str
    review_version: int
    reviewer_id: str
    grader_id: str
    scorecard_id: str
    scorecard_version: int
    score: float | None
    failed_critical: bool
    categories: list[CategoryRead]
    corrections: dict[str, Any]
    compared: list[ComparedCategory]
    review_score: float | None
    benchmark_score: float | None
    alignment: float | None = Field(description="the review's alignment with the benchmark, as calibration defines it")
    started_at: AwareDatetime | None
    created_at: AwareDatetime


class GradePage(BaseModel):
    items: list[GradeRead]
    next_cursor: str | None
