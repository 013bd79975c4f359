"""A staff suggestion. An anonymous one keeps no sender: no author, no key, no address, no agent,
and its dates only to the day; the follow-up code is kept as a hash only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base


class StaffSuggestion(Base):
    __tablename__ = "staff_suggestions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # random: says nothing of the order
    anonymous: Mapped[bool] = mapped_column(Boolean)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(50))
    team_id: Mapped[str | None] = mapped_column(String(200))
    author_id: Mapped[str | None] = mapped_column(String(200))  # named suggestions only
    status: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[str | None] = mapped_column(String(200))
    decision: Mapped[str | None] = mapped_column(Text)
    effect: Mapped[str | None] = mapped_column(Text)
    reward: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str | None] = mapped_column(Text)  # what the sender reads with the follow-up code
    follow_up_code_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    submitted_on: Mapped[date] = mapped_column(Date, index=True)
    changed_on: Mapped[date] = mapped_column(Date)
