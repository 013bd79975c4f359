"""Audit plans: what the organisation's audit programme samples, how often, and who reviews it.

``scope``, ``sampling`` and ``reviewers`` are stored as the validated JSON of their schemas
(plans/schemas.py): they are read whole, by the sampler, never queried into.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow

ACTIVE, PAUSED = "active", "paused"


class AuditPlan(Base):
    __tablename__ = "audit_plans"
    __table_args__ = (
        Index("ix_audit_plans_created_at_id", "created_at", "id"),
        Index("ix_audit_plans_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)  # active | paused
    method: Mapped[str] = mapped_column(String(20))
    # A scorecard's id (audit-svc's scorecards; referred to by id only).
    scorecard_id: Mapped[str] = mapped_column(String(200))
    # {"team_ids": [...], "channels": [...], "agent_ids": [...], "tags": [...]}; empty = any.
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    frequency: Mapped[str] = mapped_column(String(10))  # daily | weekly | monthly
    timezone: Mapped[str] = mapped_column(String(64))  # IANA zone the periods are computed in
    preset: Mapped[str | None] = mapped_column(String(40))
    # {"rate": "0.1", "min_per_agent": 1, "targeted": [{"rule": "low_csat", "max_csat": 2}, …]}
    sampling: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"id": "Q-1", "team_id": "qa", "goal": 20}, …]
    reviewers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    due_days: Mapped[int] = mapped_column(Integer, default=7)
    # Who resolves disputes of the plan's reviews; null: each review's own reviewer.
    arbitrator_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
