"""Appraisal rules (``kpi_appraisal_rules``, never changed once created, so a kept result always
names the rule it was computed by) and the kept results (``kpi_appraisal_results``: one row per
rule, period, subject and revision; revision 1 is the original, each later one a correction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime


class AppraisalRule(Base):
    __tablename__ = "kpi_appraisal_rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(10))  # month | quarter
    tz: Mapped[str] = mapped_column(String(64))
    min_sample: Mapped[int] = mapped_column(Integer)
    sample_metric: Mapped[str] = mapped_column(String(100))
    weights: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{metric, weight, lower, upper, direction}]
    grades: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{grade, min_score}], best first
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AppraisalResult(Base):
    __tablename__ = "kpi_appraisal_results"
    __table_args__ = (Index("ix_kpi_appraisal_results_period", "rule_id", "period", "team_id"),)

    rule_id: Mapped[str] = mapped_column(String(36), ForeignKey("kpi_appraisal_rules.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)  # 2026-11 | 2026-Q4
    subject_type: Mapped[str] = mapped_column(String(10), primary_key=True)  # agent | team
    subject_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str | None] = mapped_column(String(200))  # an agent's team; the team itself
    sample: Mapped[int] = mapped_column(Integer)
    eligible: Mapped[bool] = mapped_column(Boolean)  # sample ≥ the rule's minimum and a score
    total: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(20))
    coaching_suggested: Mapped[bool] = mapped_column(Boolean)
    service_star: Mapped[bool] = mapped_column(Boolean)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)  # metric → {value, count, score, weight}
    differences: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # field → [before, after]
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)
