"""Findings and what is done about them (plan, do, check, act).

A finding (from a review, a calibration, an external or on-site audit, or raised by hand) has
corrective actions: each with an owner, a due date, a plan (plan), evidence of what was done
(do), and a verification by someone other than its owner, optionally with a KPI before and
after (check); an ineffective action goes back to open for a new plan and date (act). A finding
about an agent can open coaching items. Reviews and calibrations are referred to by id only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow

# Finding statuses.
FINDING_OPEN, FINDING_CLOSED = "open", "closed"
# Action statuses: open (to do), done (evidence given, to verify), verified (effective).
ACTION_OPEN, ACTION_DONE, ACTION_VERIFIED = "open", "done", "verified"
# Coaching statuses.
COACHING_OPEN, COACHING_ACKNOWLEDGED, COACHING_COMPLETED = "open", "acknowledged", "completed"


class Finding(Base):
    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_created_at_id", "created_at", "id"),
        Index("ix_findings_agent", "agent_id", "status"),
        Index("ix_findings_team", "team_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # review | calibration | external_audit | on_site_audit | manual
    review_id: Mapped[str | None] = mapped_column(String(200))
    # The calibration session, audit report or observation the finding comes from.
    reference: Mapped[str | None] = mapped_column(String(200))
    plan_id: Mapped[str | None] = mapped_column(String(200))
    severity: Mapped[int] = mapped_column(Integer)  # 1 low … 4 critical
    category: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default=FINDING_OPEN)
    raised_by: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CorrectiveAction(Base):
    __tablename__ = "corrective_actions"
    __table_args__ = (
        Index("ix_corrective_actions_finding", "finding_id", "created_at"),
        Index("ix_corrective_actions_due", "status", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    finding_id: Mapped[str] = mapped_column(String(36), ForeignKey("findings.id"))
    owner_id: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default=ACTION_OPEN)
    evidence: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    verifier_id: Mapped[str | None] = mapped_column(String(200))
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    effective: Mapped[bool | None] = mapped_column(Boolean)
    verification_note: Mapped[str | None] = mapped_column(Text)
    # {"metric", "before": {"from", "to", "value"}, "after": {…}} as the verifier gave it.
    kpi: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OverdueNotice(Base):
    """``audit.action_overdue`` was staged for this action and due date: claimed in the same
    transaction as the outbox row, so it is published once per (action, due date)."""

    __tablename__ = "action_overdue_notices"
    __table_args__ = (UniqueConstraint("action_id", "due_at", name="uq_action_overdue_notices_action_due"),)

    notice_key: Mapped[str] = mapped_column(String(100), primary_key=True)  # "<action id>/<due_at ISO>"
    action_id: Mapped[str] = mapped_column(String(36))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    notified_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CoachingItem(Base):
    __tablename__ = "coaching_items"
    __table_args__ = (
        Index("ix_coaching_items_created_at_id", "created_at", "id"),
        Index("ix_coaching_items_agent", "agent_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    finding_id: Mapped[str] = mapped_column(String(36), ForeignKey("findings.id"))
    agent_id: Mapped[str] = mapped_column(String(200))
    coach_id: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(500))
    review_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default=COACHING_OPEN)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    follow_up_review_id: Mapped[str | None] = mapped_column(String(200))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
