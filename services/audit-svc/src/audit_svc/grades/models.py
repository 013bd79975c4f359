"""A review of a review: a QA lead's grade of one reviewer's review, with the answers the lead
would have given where they disagree (the benchmark the review is compared with)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow


class ReviewGrade(Base):
    __tablename__ = "review_grades"
    __table_args__ = (
        Index("ix_review_grades_created_at_id", "created_at", "id"),
        Index("ix_review_grades_reviewer_id_created_at", "reviewer_id", "created_at"),
        Index("ix_review_grades_review_id", "review_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    review_id: Mapped[str] = mapped_column(String(36), ForeignKey("reviews.id"))
    review_version: Mapped[int] = mapped_column(Integer)  # the version graded (a dispute may re-score it later)
    reviewer_id: Mapped[str] = mapped_column(String(200))  # whose review is graded
    grader_id: Mapped[str] = mapped_column(String(200))
    # The review_of_review scorecard answered, and its score as "Audit scoring" defines it.
    scorecard_id: Mapped[str] = mapped_column(String(36))
    scorecard_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    failed_critical: Mapped[bool] = mapped_column(Boolean)
    # [{"key", "section_key", "answer", "score", "weight", "critical", "bonus", "root_causes", "comment"}]
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The grader's answer per category of the graded review where they disagree: {key: number | "na"}.
    corrections: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The review against the benchmark (its answers with the corrections): per category both
    # answered [{"key", "score", "benchmark_score", "weight", "critical", "alignment"}], overall.
    compared: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    review_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    benchmark_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    alignment: Mapped[float | None] = mapped_column(Float, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
