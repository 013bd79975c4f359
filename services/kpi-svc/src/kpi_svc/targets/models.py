"""Target tables: what an admin sets (``kpi_targets``) and what the evaluator keeps
(``kpi_target_states``, one row per target, changed only by compare-and-set on ``version``).

- ``kpi_targets``: metric, scope (team, agent, channel; all null = the organisation), threshold
  and direction, window and time zone, minimum sample and the hysteresis (recovery margin,
  consecutive evaluations to breach and to recover).
- ``kpi_target_states``: the last evaluation (window, value, count), the state shown
  (``pending`` before the first evaluation, ``ok``, ``breached``, ``insufficient_data``) and
  since when, ``alerted`` (the last event published was a breach), ``streak`` (consecutive
  evaluations towards the other side), and ``version``, bumped by every evaluation: an
  evaluation writes only if the version it read is still there, so two evaluators never both
  publish the same change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime

AT_LEAST, AT_MOST = "at_least", "at_most"
DIRECTIONS = (AT_LEAST, AT_MOST)
ROLLING_1H, TODAY, THIS_WEEK, THIS_MONTH = "rolling_1h", "today", "this_week", "this_month"
WINDOWS = (ROLLING_1H, TODAY, THIS_WEEK, THIS_MONTH)
PENDING, OK, BREACHED, INSUFFICIENT = "pending", "ok", "breached", "insufficient_data"


class KpiTarget(Base):
    __tablename__ = "kpi_targets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(100))
    team_id: Mapped[str | None] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(50))
    threshold: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(10))
    window: Mapped[str] = mapped_column(String(20))
    tz: Mapped[str] = mapped_column(String(64))
    min_sample: Mapped[int] = mapped_column(Integer)
    recovery_margin: Mapped[float] = mapped_column(Float)
    breach_after: Mapped[int] = mapped_column(Integer)
    recover_after: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class KpiTargetState(Base):
    __tablename__ = "kpi_target_states"

    target_id: Mapped[str] = mapped_column(String(36), ForeignKey("kpi_targets.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    alerted: Mapped[bool] = mapped_column(Boolean)
    streak: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    count: Mapped[int | None] = mapped_column(BigInteger)
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    evaluated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(BigInteger)
