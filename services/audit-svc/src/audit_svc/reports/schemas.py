"""Response shape of ``GET /v1/audits/report`` (JSON; the CSV holds the same tables)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

Interval = Literal["week", "month"]


class ReviewFigures(BaseModel):
    reviews: int = Field(description="reviews that count for agents, each at its latest version; all-N/A ones included")
    scored_reviews: int = Field(description="reviews with a score (not all N/A): the mean's denominator")
    mean_score: float | None = Field(description="exact mean, rounded once to 2 decimals; null without a scored review")
    critical_fails: int
    critical_fail_pct: float | None = Field(description="100 × critical fails / reviews")


class SeriesPoint(ReviewFigures):
    start: AwareDatetime = Field(description="local midnight starting the bucket, with the zone's offset")
    end: AwareDatetime


class CategoryFigures(BaseModel):
    scorecard_id: str
    key: str
    section_key: str
    titles: dict[str, str]
    critical: bool
    bonus: bool
    reviews: int = Field(description="reviews with this category")
    answered: int = Field(description="of them, answered (not N/A)")
    na: int
    mean_score: float | None
    critical_fails: int
    critical_fail_pct: float | None = Field(description="critical categories: 100 × answers below 50 / answered")


class RootCauseCount(BaseModel):
    scorecard_id: str
    category: str
    root_cause: str
    count: int


class PlanSummary(BaseModel):
    id: str
    name: str
    method: str
    frequency: str
    timezone: str
    preset: str | None
    sampling_rate: str = Field(description="exact, e.g. \"0.1\"")
    target_pct: float | None
    min_per_agent: int


class CoverageFigures(BaseModel):
    closed_tickets: int
    reviewed_tickets: int
    coverage_pct: float | None
    target_pct: float | None = Field(description="the plan's sampling rate in %; null without plan_id")
    meets_target: bool | None


class AgentCoverage(CoverageFigures):
    agent_id: str | None


class Coverage(BaseModel):
    total: CoverageFigures
    agents: list[AgentCoverage]


class OwnerActions(BaseModel):
    owner_id: str
    open: int
    overdue: int
    awaiting_verification: int


class ActionFigures(BaseModel):
    as_of: AwareDatetime
    open: int
    overdue: int = Field(description="open and due at or before as_of")
    awaiting_verification: int
    by_owner: list[OwnerActions]


class AuditReport(BaseModel):
    from_: AwareDatetime = Field(alias="from", serialization_alias="from")
    to: AwareDatetime
    interval: Interval
    tz: str
    filters: dict[str, str | None]
    plan: PlanSummary | None
    summary: ReviewFigures
    series: list[SeriesPoint]
    categories: list[CategoryFigures]
    root_causes: list[RootCauseCount]
    coverage: Coverage
    actions: ActionFigures
