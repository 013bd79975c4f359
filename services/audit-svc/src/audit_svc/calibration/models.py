"""Calibration sessions: the same tickets scored blind by several reviewers before a deadline.
The participants' and the benchmark's reviews are rows of ``reviews`` with the session's id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow


class CalibrationSession(Base):
    __tablename__ = "calibration_sessions"
    __table_args__ = (Index("ix_calibration_sessions_created_at_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    scorecard_id: Mapped[str] = mapped_column(String(36))
    scorecard_version: Mapped[int] = mapped_column(Integer)
    # [{"ticket_id", "agent_id", "team_id", "channel"}]: what every participant scores.
    tickets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    participants: Mapped[list[str]] = mapped_column(JSON)
    benchmark: Mapped[str] = mapped_column(String(20))  # expert | agreed
    expert_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    def is_open(self, now: datetime) -> bool:
        """Before the deadline and not closed early: reviews are still blind and still accepted."""
        return self.closed_at is None and now < self.deadline
