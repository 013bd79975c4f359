"""Request and response shapes of cycles (/v1/audit-plans/{id}/cycles, /v1/cycles) and
assignments (/v1/assignments)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from csq_common.types import IdStr

AssignmentStatus = Literal["assigned", "done", "unassigned"]
MAX_SEED = 2**53 - 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CycleCreate(_Strict):
    period: dt.date = Field(description="any local date (in the plan's zone) of the period to sample; the period must have ended")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="the random seed; omitted: a fresh one, recorded with the cycle")


class CycleCounts(BaseModel):
    population: int = Field(description="tickets in scope closed in the period and not sampled by the plan before")
    sampled: int
    random: int = Field(description="round(rate × population), halves up")
    minimum: int = Field(description="added so each agent has at least min_per_agent")
    targeted: int = Field(description="added by targeted rules only")
    unassigned: int = Field(description="sampled tickets no reviewer of the plan may review")


class CycleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    plan_id: str
    period_start: AwareDatetime
    period_end: AwareDatetime
    seed: int
    trigger: Literal["api", "schedule"]
    counts: CycleCounts
    created_by: str
    created_at: AwareDatetime


class CyclePage(BaseModel):
    items: list[CycleRead]
    next_cursor: str | None


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    cycle_id: str
    plan_id: str
    ticket_id: str
    agent_id: str | None
    team_id: str | None
    channel: str | None
    closed_at: AwareDatetime
    reasons: list[str] = Field(description="random, minimum, or targeted rules (tag rules as tag:<tag>)")
    reviewer_id: str | None
    status: AssignmentStatus
    due_at: AwareDatetime
    review_id: str | None
    completed_at: AwareDatetime | None
    reassigned_from: str | None
    reassigned_at: AwareDatetime | None
    created_at: AwareDatetime


class CycleSample(CycleRead):
    assignments: list[AssignmentRead]


class AssignmentPage(BaseModel):
    items: list[AssignmentRead]
    next_cursor: str | None


class Reassign(_Strict):
    reviewer_id: IdStr


class Complete(_Strict):
    review_id: IdStr


class ReviewerLoad(BaseModel):
    reviewer_id: str
    goal: int | None = Field(description="reviews expected per cycle")
    assigned: int
    done: int
    open: int
    overdue: int = Field(description="open and past due")


class Dashboard(BaseModel):
    plan_id: str
    cycle_id: str | None
    at: AwareDatetime
    reviewers: list[ReviewerLoad]
    unassigned: int
