"""Request and response shapes of the scorecard, /v1/appraisal-rules and /v1/appraisals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from csq_common.types import storable_str

MetricName = storable_str(min_length=1, max_length=100)


class _Window(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: datetime = Field(alias="from")
    to: datetime


class TargetRead(BaseModel):
    threshold: float
    direction: str
    scope: str
    target_id: str | None


class ScorecardMetricRead(BaseModel):
    metric: str
    direction: str = Field(description="higher_is_better or lower_is_better")
    value: float | int | None
    count: int
    team_value: float | int | None = Field(description="The team's value over the same period")
    team_count: int
    previous_value: float | int | None = Field(description="The agent's value over the previous period of the same length")
    previous_count: int
    change: float | int | None = Field(description="value − previous_value; null unless both exist")
    improved: bool | None = Field(description="Whether the change went the good way; null without a change")
    target: TargetRead | None = Field(description="The target that applies (null: none set)")
    target_met: bool | None


class ScorecardRead(_Window):
    agent_id: str
    team_id: str | None
    team_source: str | None = Field(description="parameter, most_closures (the team the agent closed most in), or null")
    tz: str
    previous_from: datetime
    previous_to: datetime
    metrics: list[ScorecardMetricRead]


class WeightIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: MetricName
    weight: Decimal = Field(gt=0, le=1000, max_digits=12, decimal_places=6)
    lower: Decimal = Field(description="The value scored 0 (higher_is_better) or 100 (lower_is_better)", ge=-10**9, le=10**9, max_digits=18, decimal_places=6)
    upper: Decimal = Field(description="The value scored 100 (higher_is_better) or 0 (lower_is_better)", ge=-10**9, le=10**9, max_digits=18, decimal_places=6)
    direction: storable_str(max_length=20) | None = Field(None, description="higher_is_better or lower_is_better (default: the metric's)")


class BandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grade: storable_str(strip_whitespace=True, min_length=1, max_length=20)
    min_score: Decimal = Field(ge=0, le=100, max_digits=9, decimal_places=6)


DEFAULT_BANDS = [BandIn(grade="A", min_score=Decimal(90)), BandIn(grade="B", min_score=Decimal(75)),
                 BandIn(grade="C", min_score=Decimal(60)), BandIn(grade="D", min_score=Decimal(0))]


class AppraisalRuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "客服月度考评", "period": "month", "tz": "Asia/Shanghai", "min_sample": 20, "sample_metric": "tickets_closed",
        "weights": [
            {"metric": "csat_pct", "weight": 40, "lower": 60, "upper": 100},
            {"metric": "frt_avg_seconds", "weight": 30, "lower": 30, "upper": 600},
            {"metric": "fcr_pct", "weight": 30, "lower": 50, "upper": 100},
        ],
        "grades": [{"grade": "A", "min_score": 90}, {"grade": "B", "min_score": 75}, {"grade": "C", "min_score": 60},
                   {"grade": "D", "min_score": 0}],
    }]})

    name: storable_str(strip_whitespace=True, min_length=1, max_length=200)
    period: storable_str(max_length=10) = Field(description="month or quarter")
    tz: storable_str(min_length=1, max_length=64) = Field("UTC", description="IANA time zone the periods are counted in")
    min_sample: int = Field(20, ge=0, le=1_000_000, description="Fewest observations of sample_metric to be graded")
    sample_metric: MetricName = Field("tickets_closed", description="The metric whose count is the sample")
    weights: list[WeightIn] = Field(min_length=1, max_length=50)
    grades: list[BandIn] = Field(
        default_factory=lambda: list(DEFAULT_BANDS), min_length=1, max_length=20,
        description="Best first, min_score strictly decreasing, the last 0; the last grade suggests coaching",
    )


class WeightRead(BaseModel):
    metric: str
    weight: float
    lower: float
    upper: float
    direction: str


class BandRead(BaseModel):
    grade: str
    min_score: float


class AppraisalRuleRead(BaseModel):
    id: str
    name: str
    period: str
    tz: str
    min_sample: int
    sample_metric: str
    weights: list[WeightRead]
    grades: list[BandRead]
    created_at: datetime


class AppraisalRulePage(BaseModel):
    items: list[AppraisalRuleRead]
    next_cursor: str | None


class RunRead(_Window):
    rule_id: str
    period: str
    computed_at: datetime
    agents: int = Field(description="Agents evaluated")
    teams: int = Field(description="Teams evaluated")
    new: int = Field(description="Subjects kept for the first time")
    corrected: int = Field(description="Subjects whose kept result changed: a new revision marked as a correction")
    unchanged: int


class ResultRead(BaseModel):
    subject_type: str = Field(description="agent or team")
    subject_id: str
    team_id: str | None
    revision: int = Field(description="1 for the original; each correction adds one")
    correction: bool
    differences: dict[str, Any] | None = Field(description="field → [before, after] against the previous revision")
    sample: int
    eligible: bool = Field(description="Graded: a score and at least the rule's minimum sample")
    total: float | None
    grade: str | None
    coaching_suggested: bool = Field(description="Graded with the bottom grade")
    service_star: bool = Field(description="The team's top agent of the period under this rule")
    inputs: dict[str, Any] = Field(description="metric → {value, count, score (0-100), weight}")
    computed_at: datetime
    original: "ResultRead | None" = Field(None, description="Revision 1, when this is a correction")


class AppraisalList(_Window):
    rule_id: str
    period: str
    items: list[ResultRead]
