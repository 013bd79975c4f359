"""Editable rule sets (one row per name, replaced whole) and the reviewers' corrections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime


class RuleSet(Base):
    __tablename__ = "feedback_rule_sets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)  # "classification", "severity"
    document: Mapped[dict] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


class ClassificationCorrectionRow(Base):
    """One reviewer's verdict on an item's kind and category; the latest is the item's truth."""

    __tablename__ = "feedback_corrections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    feedback_id: Mapped[str] = mapped_column(String(36), ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    previous_kind: Mapped[str] = mapped_column(String(20))
    previous_category: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(50))
    reviewer_id: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(2000))
    corrected_at: Mapped[datetime] = mapped_column(UtcDateTime)
