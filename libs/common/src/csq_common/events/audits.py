"""Audit events (audit-svc → csq.audits)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from csq_common.events.envelope import EventData, Id


# ---- audits (audit-svc → csq.audits) ----------------------------------------------------------


class AuditEvent(EventData):
    domain: ClassVar[str] = "audits"


class FindingRaised(AuditEvent):
    """A quality finding was raised (keyed by finding id): who and what it concerns, who owns it."""

    event_type: ClassVar[str] = "audit.finding_raised"
    finding_id: str
    review_id: str | None = None
    severity: int = Field(ge=1, le=4)  # 1 low … 4 critical
    category: str
    agent_id: str | None = None
    team_id: str | None = None
    owner_id: str
    due_at: AwareDatetime | None = None
    raised_at: AwareDatetime


class ActionOverdue(AuditEvent):
    """A corrective action passed its due date unfinished (keyed by action id); once per action
    and due date."""

    event_type: ClassVar[str] = "audit.action_overdue"
    action_id: str
    finding_id: str
    owner_id: str
    due_at: AwareDatetime
    team_id: str | None = None


AuditMethod = Literal["internal", "external", "third_party", "mystery_shopper", "on_site", "peer", "calibration"]


class CategoryScore(BaseModel):
    model_config = ConfigDict(extra="ignore")
    category_id: str
    score: float | None  # 0-100; None when the category was answered N/A


class AuditCompleted(AuditEvent):
    """A review was submitted (``version`` 1) or re-scored after a dispute (``version`` n+1, same
    ``review_id``): consumers keep the highest version of a review and replace, never add."""

    event_type: ClassVar[str] = "audit.completed"
    review_id: Id
    version: int = Field(ge=1)
    plan_id: str | None = None
    method: AuditMethod
    ticket_id: str | None = None
    agent_id: Id
    team_id: str | None = None
    channel: str | None = None
    scorecard_id: Id
    scorecard_version: int = Field(ge=1)
    score: float | None  # 0-100+ with bonus; None if no standard category was answered
    failed_critical: bool
    reviewer_id: Id
    reviewed_at: AwareDatetime
    categories: list[CategoryScore] = Field(default_factory=list)
    counts_for_agent: bool




AUDIT_EVENTS: dict[str, type[AuditEvent]] = {
    cls.event_type: cls for cls in (AuditCompleted, FindingRaised, ActionOverdue)
}
