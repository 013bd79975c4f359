"""Request and response shapes of /v1/findings, /v1/actions and /v1/coaching (shape only; the
rules between fields and states are in the service modules)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from csq_common.types import IdStr, UtcInstant, storable_str

Source = Literal["review", "calibration", "external_audit", "on_site_audit", "manual"]
FindingStatus = Literal["open", "closed"]
ActionStatus = Literal["open", "done", "verified"]
CoachingStatus = Literal["open", "acknowledged", "completed"]

Category = storable_str(strip_whitespace=True, min_length=1, max_length=200)
Text = storable_str(strip_whitespace=True, min_length=1, max_length=8000)
Topic = storable_str(strip_whitespace=True, min_length=1, max_length=500)
Metric = storable_str(strip_whitespace=True, min_length=1, max_length=100)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FindingCreate(_Strict):
    source: Source
    review_id: IdStr | None = Field(None, description="required when source is review")
    reference: IdStr | None = Field(None, description="the calibration session, audit report or observation it comes from")
    plan_id: IdStr | None = None
    severity: int = Field(ge=1, le=4, description="1 low … 4 critical")
    category: Category
    description: Text
    agent_id: IdStr | None = None
    team_id: IdStr | None = None
    owner_id: IdStr
    due_at: UtcInstant | None = None


class KpiWindow(_Strict):
    from_: UtcInstant = Field(alias="from")
    to: UtcInstant
    value: float | None = Field(description="the KPI over the window (null: no data)")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self) -> "KpiWindow":
        if self.to <= self.from_:
            raise ValueError("'to' must be after 'from'")
        return self


class KpiCheck(_Strict):
    """The KPI before and after the action, over windows the verifier chose."""

    metric: Metric
    before: KpiWindow
    after: KpiWindow


class ActionCreate(_Strict):
    owner_id: IdStr
    plan: Text
    due_at: UtcInstant


class ActionPatch(_Strict):
    owner_id: IdStr | None = None
    plan: Text | None = None
    due_at: UtcInstant | None = None


class Evidence(_Strict):
    evidence: Text


class Verification(_Strict):
    verifier_id: IdStr = Field(description="anyone but the action's owner")
    effective: bool = Field(description="false: the action goes back to open for a new plan and due date")
    note: Text | None = None
    kpi: KpiCheck | None = None


class KpiWindowRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    value: float | None


class KpiCheckRead(BaseModel):
    metric: str
    before: KpiWindowRead
    after: KpiWindowRead


class ActionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    finding_id: str
    owner_id: str
    plan: str
    due_at: AwareDatetime
    status: ActionStatus
    evidence: str | None
    done_at: AwareDatetime | None
    verifier_id: str | None
    verified_at: AwareDatetime | None
    effective: bool | None
    verification_note: str | None
    kpi: KpiCheckRead | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class FindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    source: Source
    review_id: str | None
    reference: str | None
    plan_id: str | None
    severity: int
    category: str
    description: str
    agent_id: str | None
    team_id: str | None
    owner_id: str
    due_at: AwareDatetime | None
    status: FindingStatus
    raised_by: str
    raised_at: AwareDatetime
    closed_at: AwareDatetime | None


class FindingDetail(FindingRead):
    actions: list[ActionRead]


class FindingPage(BaseModel):
    items: list[FindingRead]
    next_cursor: str | None


class CoachingCreate(_Strict):
    topic: Topic
    review_ids: list[IdStr] = Field(default_factory=list, max_length=100, description="the reviews the coaching comes from")
    due_at: UtcInstant
    coach_id: IdStr | None = None


class Acknowledgement(_Strict):
    agent_id: IdStr = Field(description="the coached agent: only they acknowledge")


class FollowUp(_Strict):
    review_id: IdStr = Field(description="the review that checks the coaching worked")


class CoachingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    finding_id: str
    agent_id: str
    coach_id: str | None
    topic: str
    review_ids: list[str]
    due_at: AwareDatetime
    status: CoachingStatus
    acknowledged_at: AwareDatetime | None
    follow_up_review_id: str | None
    completed_at: AwareDatetime | None
    created_by: str
    created_at: AwareDatetime


class CoachingPage(BaseModel):
    items: list[CoachingRead]
    next_cursor: str | None
