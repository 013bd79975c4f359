"""Disputes of a review's categories by its agent, and how the arbitrator resolved each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow


class Dispute(Base):
    __tablename__ = "disputes"
    __table_args__ = (
        Index("ix_disputes_created_at_id", "created_at", "id"),
        Index("ix_disputes_review_id", "review_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    review_id: Mapped[str] = mapped_column(String(36), ForeignKey("reviews.id"))
    agent_id: Mapped[str] = mapped_column(String(200))
    reviewer_id: Mapped[str] = mapped_column(String(200))  # the review's reviewer, for the dashboard
    arbitrator_id: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # open | accepted | partially_accepted | rejected
    resolution_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    review_version: Mapped[int] = mapped_column(Integer)  # the review's version when disputed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class DisputeItem(Base):
    """One disputed category: what the agent proposed and, once resolved, the score it ended with."""

    __tablename__ = "dispute_items"

    dispute_id: Mapped[str] = mapped_column(String(36), ForeignKey("disputes.id"), primary_key=True)
    category_key: Mapped[str] = mapped_column(String(50), primary_key=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    proposed_answer: Mapped[Any] = mapped_column(JSON, nullable=True)  # a number, "na", or None
    original_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    final_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    changed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # None while open
