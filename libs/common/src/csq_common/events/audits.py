"""Audit events (audit-svc → csq.audits)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

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


#: A check name of automatic QA: a lowercase slug, so ``compliance_pct.<check>`` is a bounded,
#: well-formed metric name (a-z first, then a-z, 0-9, ``_`` or ``-``; at most 50 characters).
AUTOQA_CHECK_PATTERN = r"^[a-z][a-z0-9_-]*$"
AUTOQA_CHECK_MAX = 50


class AutoQaCheck(BaseModel):
    model_config = ConfigDict(extra="ignore")
    check: Annotated[str, StringConstraints(min_length=1, max_length=AUTOQA_CHECK_MAX, pattern=AUTOQA_CHECK_PATTERN)]
    passed: bool
    detail: str | None = Field(None, max_length=2000)


class AuditAutoScored(AuditEvent):
    """A closed ticket was scored by the automatic QA rules (keyed by ticket id). A re-score of the
    same ticket under a newer ``ruleset_version`` replaces the earlier one; consumers keep the
    highest ruleset version per ticket."""

    event_type: ClassVar[str] = "audit.auto_scored"
    ticket_id: Id
    agent_id: str | None = Field(None, max_length=200)
    team_id: str | None = Field(None, max_length=200)
    channel: str | None = Field(None, max_length=50)
    closed_at: AwareDatetime
    score: float = Field(ge=0, le=100)
    checks: list[AutoQaCheck] = Field(default_factory=list)
    ruleset_version: int = Field(ge=1)


AUDIT_EVENTS: dict[str, type[AuditEvent]] = {
    cls.event_type: cls for cls in (AuditCompleted, AuditAutoScored, FindingRaised, ActionOverdue)
}
