"""Business calendars (``kpi_calendars``) and which team uses which (``kpi_calendar_teams``: one
calendar per team, so the lookup is by primary key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime


class BusinessCalendar(Base):
    __tablename__ = "kpi_calendars"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tz: Mapped[str] = mapped_column(String(64))
    hours: Mapped[dict[str, Any]] = mapped_column(JSON)  # weekday → ["09:00-12:00", …]
    holidays: Mapped[list[str]] = mapped_column(JSON)  # ISO dates
    extra_working_days: Mapped[list[str]] = mapped_column(JSON)  # ISO dates
    country: Mapped[str | None] = mapped_column(String(8))
    team_ids: Mapped[list[str]] = mapped_column(JSON)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: 1 when created, one more at each change: the in-memory clocks are kept per (id, revision).
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CalendarTeam(Base):
    __tablename__ = "kpi_calendar_teams"

    team_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    calendar_id: Mapped[str] = mapped_column(String(36), ForeignKey("kpi_calendars.id", ondelete="CASCADE"), index=True)
