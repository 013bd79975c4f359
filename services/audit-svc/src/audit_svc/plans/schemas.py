"""Request and response shapes of /v1/audit-plans (shape only; the rules that relate fields,
such as presets and peer reviewers, are in plans/rules.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

from csq_common.types import IdStr, storable_str

Method = Literal["internal", "peer", "external", "third_party", "mystery_shopper", "on_site"]
Frequency = Literal["daily", "weekly", "monthly"]
PresetName = Literal["standard_weekly", "small_team_monthly", "large_team_weekly"]
PlanStatus = Literal["active", "paused"]

Name = storable_str(strip_whitespace=True, min_length=1, max_length=200)
Rate = Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4, description="0 ≤ rate ≤ 1, at most 4 decimals; a number or a string")]


def check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Shanghai)") from None
    return value


Zone = Annotated[storable_str(min_length=1, max_length=64), AfterValidator(check_zone)]


def rate_text(rate: Decimal) -> str:
    """``Decimal('0.1000')`` → ``"0.1"``: the rate as an exact string, always the same form."""
    return format(rate.normalize(), "f")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scope(_Strict):
    """Which closed tickets the plan samples; an empty list means any. Every non-empty list must
    match (tags: at least one tag in common)."""

    team_ids: list[IdStr] = Field(default_factory=list, max_length=500)
    channels: list[IdStr] = Field(default_factory=list, max_length=100)
    agent_ids: list[IdStr] = Field(default_factory=list, max_length=2000)
    tags: list[IdStr] = Field(default_factory=list, max_length=500)


class Schedule(_Strict):
    frequency: Frequency | None = Field(None, description="null only with a preset, which sets it")
    timezone: Zone = Field("UTC", description="IANA time zone the cycle periods are computed in")


class _Rule(_Strict):
    limit: int | None = Field(None, ge=1, le=100_000, description="at most this many matches per cycle, chosen with the cycle's seed; null: all")


class LowCsat(_Rule):
    rule: Literal["low_csat"]
    max_csat: int = Field(ge=1, le=5, description="a CSAT answer at or below this")


class LongFirstResponse(_Rule):
    rule: Literal["long_first_response"]
    seconds: int = Field(ge=1, le=365 * 86_400, description="first response later than this after creation")


class Reopened(_Rule):
    rule: Literal["reopened"]


class Complaint(_Rule):
    rule: Literal["complaint"]


class LongHandleTime(_Rule):
    rule: Literal["long_handle_time"]
    seconds: int = Field(ge=1, le=365 * 86_400, description="handle time longer than this")


class Tagged(_Rule):
    rule: Literal["tag"]
    tag: IdStr


TargetedRule = Annotated[
    Union[LowCsat, LongFirstResponse, Reopened, Complaint, LongHandleTime, Tagged], Field(discriminator="rule")
]


class Sampling(_Strict):
    rate: Rate | None = Field(None, description="share of the period's closed tickets sampled at random; null only with a preset")
    min_per_agent: int = Field(0, ge=0, le=1000, description="each agent with closed tickets gets at least this many sampled (as far as they have tickets)")
    targeted: list[TargetedRule] = Field(default_factory=list, max_length=20)


class Reviewer(_Strict):
    id: IdStr
    team_id: IdStr | None = Field(None, description="required for peer plans: no one reviews their own team")
    goal: int | None = Field(None, ge=1, le=100_000, description="reviews expected per cycle; assignments are balanced in proportion to goals")


class PlanCreate(_Strict):
    name: Name
    method: Method
    scorecard_id: IdStr
    scope: Scope = Field(default_factory=Scope)
    schedule: Schedule = Field(default_factory=Schedule)
    preset: PresetName | None = Field(None, description="sets schedule.frequency and sampling.rate from the service standard")
    sampling: Sampling = Field(default_factory=Sampling)
    reviewers: list[Reviewer] = Field(min_length=1, max_length=500)
    due_days: int = Field(7, ge=1, le=180, description="assignments are due this many days after the cycle's period ends")
    arbitrator_id: IdStr | None = Field(None, description="resolves disputes of the plan's reviews; null: the review's own reviewer")


class PlanPatch(_Strict):
    """PATCH: the given fields replace the plan's; the result is checked as a whole."""

    name: Name | None = None
    method: Method | None = None
    scorecard_id: IdStr | None = None
    scope: Scope | None = None
    schedule: Schedule | None = None
    preset: PresetName | None = None
    sampling: Sampling | None = None
    reviewers: list[Reviewer] | None = Field(None, min_length=1, max_length=500)
    due_days: int | None = Field(None, ge=1, le=180)
    arbitrator_id: IdStr | None = Field(None, description="null removes the plan's arbitrator")
    status: PlanStatus | None = None


class SamplingRead(BaseModel):
    rate: Decimal = Field(description="exact, as a string, e.g. \"0.1\"")
    min_per_agent: int
    targeted: list[TargetedRule]

    @field_serializer("rate")
    def _rate(self, rate: Decimal) -> str:
        return rate_text(rate)


class ScheduleRead(BaseModel):
    frequency: Frequency
    timezone: str


class PlanRead(BaseModel):
    id: str
    name: str
    status: PlanStatus
    method: Method
    scorecard_id: str
    scope: Scope
    schedule: ScheduleRead
    preset: PresetName | None
    sampling: SamplingRead
    reviewers: list[Reviewer]
    due_days: int
    arbitrator_id: str | None
    created_by: str
    created_at: AwareDatetime
    updated_at: AwareDatetime


class PlanPage(BaseModel):
    items: list[PlanRead]
    next_cursor: str | None


class PresetRead(BaseModel):
    name: PresetName
    frequency: Frequency
    rate: str
    max_agents: int | None
