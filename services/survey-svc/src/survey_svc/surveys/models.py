"""Surveys (the editable draft) and their published versions (immutable snapshots)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (Index("ix_surveys_created_at_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | retired
    # The draft: {"name", "default_language", "languages", "questions"} as validated.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    latest_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    has_unpublished_changes: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SurveyVersion(Base):
    """Version n of a survey as published; never updated (answers refer to it)."""

    __tablename__ = "survey_versions"

    survey_id: Mapped[str] = mapped_column(String(36), ForeignKey("surveys.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
