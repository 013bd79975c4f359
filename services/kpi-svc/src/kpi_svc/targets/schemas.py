"""Request and response shapes of /v1/targets and /v1/targets/status."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from csq_common.types import storable_str

Direction = Literal["at_least", "at_most"]
Window = Literal["rolling_1h", "today", "this_week", "this_month"]
Metric = storable_str(min_length=1, max_length=100)
Attribute = storable_str(min_length=1, max_length=200)
Channel = storable_str(min_length=1, max_length=50)
Zone = storable_str(min_length=1, max_length=64)
Name = storable_str(strip_whitespace=True, min_length=1, max_length=200)

_MIN_SAMPLE = "Below this many observations (the summary's count of the metric) the state is insufficient_data"
_MARGIN = "Recovery only once the value is back past the threshold by this much (0: at the threshold)"
_BREACH_AFTER = "Consecutive evaluations past the threshold before the target is breached"
_RECOVER_AFTER = "Consecutive evaluations past threshold ± margin before a breached target recovers"


class TargetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "账单组 首次响应 不超过 10 分钟", "metric": "frt_avg_seconds", "team_id": "billing", "threshold": 600,
        "direction": "at_most", "window": "today", "tz": "Asia/Shanghai", "min_sample": 20, "recovery_margin": 60,
        "breach_after": 1, "recover_after": 3,
    }]})

    name: Name
    metric: Metric = Field(description="A metric of GET /v1/kpis/summary (the series and breakdown metrics)")
    team_id: Attribute | None = None
    agent_id: Attribute | None = None
    channel: Channel | None = None
    threshold: float = Field(allow_inf_nan=False, ge=-1e12, le=1e12)
    direction: Direction = Field(description="at_least: breached below the threshold; at_most: breached above it")
    window: Window
    tz: Zone = Field("UTC", description="IANA time zone of the window's day, week (from Monday) and month")
    min_sample: int = Field(20, ge=1, le=1_000_000_000, description=_MIN_SAMPLE)
    recovery_margin: float = Field(0.0, allow_inf_nan=False, ge=0, le=1e12, description=_MARGIN)
    breach_after: int = Field(1, ge=1, le=1000, description=_BREACH_AFTER)
    recover_after: int = Field(1, ge=1, le=1000, description=_RECOVER_AFTER)


class TargetPatch(BaseModel):
    """Any field of a target; ``null`` for team_id / agent_id / channel widens the scope."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    metric: Metric | None = None
    team_id: Attribute | None = None
    agent_id: Attribute | None = None
    channel: Channel | None = None
    threshold: float | None = Field(None, allow_inf_nan=False, ge=-1e12, le=1e12)
    direction: Direction | None = None
    window: Window | None = None
    tz: Zone | None = None
    min_sample: int | None = Field(None, ge=1, le=1_000_000_000, description=_MIN_SAMPLE)
    recovery_margin: float | None = Field(None, allow_inf_nan=False, ge=0, le=1e12, description=_MARGIN)
    breach_after: int | None = Field(None, ge=1, le=1000, description=_BREACH_AFTER)
    recover_after: int | None = Field(None, ge=1, le=1000, description=_RECOVER_AFTER)


class TargetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    metric: str
    team_id: str | None
    agent_id: str | None
    channel: str | None
    threshold: float
    direction: Direction
    window: Window
    tz: str
    min_sample: int
    recovery_margin: float
    breach_after: int
    recover_after: int
    created_at: datetime
    updated_at: datetime


class TargetPage(BaseModel):
    items: list[TargetRead]
    next_cursor: str | None


class TargetStatus(BaseModel):
    target: TargetRead
    state: Literal["pending", "ok", "breached", "insufficient_data"] = Field(
        description="pending until the first evaluation; insufficient_data below min_sample"
    )
    since: datetime = Field(description="When the target entered this state")
    alerted: bool = Field(description="The last event published for it was kpi.target_breached (no recovery since)")
    value: float | None = Field(description="The metric over the window at the last evaluation, as the summary gives it")
    count: int | None = Field(description="The observations behind value (the summary's count)")
    window_start: datetime | None = Field(description="The window of the last evaluation, UTC, as the summary's from")
    window_end: datetime | None = Field(description="… and to")
    last_evaluated_at: datetime | None


class TargetStatusPage(BaseModel):
    items: list[TargetStatus]
    next_cursor: str | None
