"""Reviews (one answered scorecard, for a ticket or an observation) and their answers per category."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_created_at_id", "created_at", "id"),
        Index("ix_reviews_agent_id_created_at", "agent_id", "created_at"),
        Index("ix_reviews_reviewer_id_created_at", "reviewer_id", "created_at"),
        Index("ix_reviews_calibration_id", "calibration_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scorecard_id: Mapped[str] = mapped_column(String(36))
    scorecard_version: Mapped[int] = mapped_column(Integer)
    plan_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    method: Mapped[str] = mapped_column(String(30))
    ticket_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    agent_id: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(50), nullable=True)
    reviewer_id: Mapped[str] = mapped_column(String(200))
    # An observation without a ticket (mystery shopper, on site): store, date, observer, notes.
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    failed_critical: Mapped[bool] = mapped_column(Boolean)
    counts_for_agent: Mapped[bool] = mapped_column(Boolean)
    # Calibration reviews: the session, and whether this is a participant's or the benchmark.
    calibration_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    calibration_role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The version of its audit.completed event: 1 on submission, +1 per re-score after a dispute.
    version: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReviewAnswer(Base):
    """One category of a review, with what the scorecard version said about it at the time."""

    __tablename__ = "review_answers"

    review_id: Mapped[str] = mapped_column(String(36), ForeignKey("reviews.id"), primary_key=True)
    category_key: Mapped[str] = mapped_column(String(50), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    section_key: Mapped[str] = mapped_column(String(50))
    answer: Mapped[float | None] = mapped_column(Float, nullable=True)  # None: N/A
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    weight: Mapped[float] = mapped_column(Float)
    critical: Mapped[bool] = mapped_column(Boolean)
    bonus: Mapped[bool] = mapped_column(Boolean)
    root_causes: Mapped[list[str]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
