"""Scorecards (identity, status, selection) and their versions (drafts and frozen snapshots)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow


class Scorecard(Base):
    __tablename__ = "scorecards"
    __table_args__ = (Index("ix_scorecards_created_at_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    # The newest version (a draft while it is not published) and the newest published one.
    latest_version: Mapped[int] = mapped_column(Integer)
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ScorecardVersion(Base):
    """Version n of a scorecard: a draft until published, then never updated (reviews refer to it)."""

    __tablename__ = "scorecard_versions"

    scorecard_id: Mapped[str] = mapped_column(String(36), ForeignKey("scorecards.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # draft | published
    # {"name", "languages", "titles", "sections", "selection"} as validated.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
