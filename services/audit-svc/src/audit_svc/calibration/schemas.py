"""Calibration sessions: what a QA lead sets up, what participants send, the results."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from csq_common.types import IdStr, UtcInstant, storable_str
from audit_svc.reviews.schemas import ReviewAnswers

Benchmark = Literal["expert", "agreed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class CalibrationTicket(_Strict):
    ticket_id: IdStr
    agent_id: IdStr
    team_id: IdStr | None = None
    channel: storable_str(min_length=1, max_length=50) | None = None


class CalibrationCreate(_Strict):
    title: storable_str(min_length=1, max_length=200)
    scorecard_id: IdStr
    scorecard_version: int | None = Field(None, ge=1, le=2_147_483_647, description="the latest published when omitted")
    tickets: list[CalibrationTicket] = Field(min_length=1, max_length=100)
    participants: list[IdStr] = Field(min_length=1, max_length=100)
    benchmark: Benchmark = Field(description="expert: the expert's review is the benchmark; agreed: the final review agreed after the session")
    expert_id: IdStr | None = None
    deadline: UtcInstant


class CalibrationReviewCreate(ReviewAnswers):
    reviewer_id: IdStr
    ticket_id: IdStr
    started_at: UtcInstant | None = None


class BenchmarkCreate(ReviewAnswers):
    """The agreed final review of one ticket (``agreed`` sessions), recorded after the deadline."""

    ticket_id: IdStr
    reviewer_id: IdStr = Field(description="who records the agreed review (the session's lead)")


class CalibrationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    scorecard_id: str
    scorecard_version: int
    tickets: list[CalibrationTicket]
    participants: list[str]
    benchmark: Benchmark
    expert_id: str | None
    deadline: AwareDatetime
    closed_at: AwareDatetime | None
    created_at: AwareDatetime


class CalibrationPage(BaseModel):
    items: list[CalibrationRead]
    next_cursor: str | None


class ReviewAlignment(BaseModel):
    review_id: str
    reviewer_id: str
    ticket_id: str
    score: float | None
    benchmark_score: float | None
    alignment: float | None


class ReviewerAlignment(BaseModel):
    reviewer_id: str
    reviews: int
    alignment: float | None
    mean_difference: float | None = Field(description="mean of (score − benchmark score): below 0 stricter, above 0 more lenient")


class CategoryAlignment(BaseModel):
    key: str
    answered: int
    alignment: float | None


class ReviewerCategoryAlignment(CategoryAlignment):
    reviewer_id: str


class CalibrationResults(BaseModel):
    calibration_id: str
    missing_benchmarks: list[str]
    reviews: list[ReviewAlignment]
    reviewers: list[ReviewerAlignment]
    categories: list[CategoryAlignment]
    reviewer_categories: list[ReviewerCategoryAlignment]


class SessionGrade(ReviewerAlignment):
    calibration_id: str
    title: str
    deadline: AwareDatetime


class CategoryGrade(BaseModel):
    key: str
    compared: int = Field(description="reviews of the reviewer in which both they and the benchmark answered the category")
    alignment: float
    mean_difference: float = Field(description="mean of (their category score − the benchmark's): below 0 stricter, above 0 more lenient")


class PeriodGrade(BaseModel):
    period: dt.date = Field(description="the local date the week (Monday) or month starts on")
    start: AwareDatetime
    end: AwareDatetime
    calibrated: int
    graded: int
    alignment: float | None
    mean_difference: float | None


class ReviewerGrade(BaseModel):
    reviewer_id: str
    calibrated_reviews: int = Field(description="calibration reviews compared with their session's benchmark")
    graded_reviews: int = Field(description="reviews of theirs graded by a review of review")
    alignment: float | None = Field(description="mean alignment with the benchmark over calibrated and graded reviews")
    mean_difference: float | None = Field(description="mean of (score − benchmark score): below 0 stricter, above 0 more lenient")
    mean_grade_score: float | None = Field(description="mean score of the reviews of their reviews (the review_of_review scorecard)")
    categories: list[CategoryGrade] = Field(description="alignment and strictness per category of the reviewed scorecards")
    series: list[PeriodGrade] = Field(description="the same per week or month, oldest first")
    timed_reviews: int
    mean_review_seconds: float | None = Field(description="mean of reviewed_at − started_at over the reviews that sent started_at")
    sessions: list[SessionGrade] = Field(description="one entry per calibration session in deadline order")


class GradingReport(BaseModel):
    period: Literal["week", "month"]
    timezone: str
    reviewers: list[ReviewerGrade]
