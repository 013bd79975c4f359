"""Sampling cycles and the tickets they sample, each with its review assignment.

A cycle is one plan's sample of one period (computed in the plan's time zone): at most one per
(plan, period start), however many workers or requests try. Its seed is recorded, so the same
seed over the same tickets gives the same sample. A sampled ticket is never sampled again for
the same plan (unique (plan, ticket)); its row also carries who reviews it and by when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow

# Assignment statuses.
ASSIGNED, DONE, UNASSIGNED = "assigned", "done", "unassigned"


class AuditCycle(Base):
    __tablename__ = "audit_cycles"
    __table_args__ = (UniqueConstraint("plan_id", "period_start", name="uq_audit_cycles_plan_period"),)

    # uuid5 of (plan, period start): a second attempt at the same period collides on the key.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(36), ForeignKey("audit_plans.id"))
    period_start: Mapped[datetime] = mapped_column(UtcDateTime)
    period_end: Mapped[datetime] = mapped_column(UtcDateTime)
    seed: Mapped[int] = mapped_column(BigInteger)
    trigger: Mapped[str] = mapped_column(String(20))  # api | schedule
    # {"population", "sampled", "random", "minimum", "targeted", "unassigned"}
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditSample(Base):
    """A sampled ticket and its review assignment (``/v1/assignments``)."""

    __tablename__ = "audit_samples"
    __table_args__ = (
        UniqueConstraint("plan_id", "ticket_id", name="uq_audit_samples_plan_ticket"),
        Index("ix_audit_samples_cycle", "cycle_id", "ticket_id"),
        Index("ix_audit_samples_plan_reviewer", "plan_id", "reviewer_id"),
        Index("ix_audit_samples_created_at_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cycle_id: Mapped[str] = mapped_column(String(36), ForeignKey("audit_cycles.id"))
    plan_id: Mapped[str] = mapped_column(String(36))
    ticket_id: Mapped[str] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(50))
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Why it was sampled: "random", "minimum" (per-agent top-up), or targeted rule names.
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    reviewer_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=ASSIGNED)  # assigned | done | unassigned
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    review_id: Mapped[str | None] = mapped_column(String(200))  # a review's id, no foreign key
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reassigned_from: Mapped[str | None] = mapped_column(String(200))
    reassigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reassign_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
