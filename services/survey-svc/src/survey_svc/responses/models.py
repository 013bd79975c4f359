"""Responses: one per answered invitation (or per phone interview), with one row per answer.

Attribution (ticket, team, agent, channel) is copied from the invitation, so results and KPIs
credit whoever handled the ticket at close. Anonymous campaigns leave ``customer_id`` null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_survey_answered", "survey_id", "answered_at"),
        Index("ix_responses_campaign_answered", "campaign_id", "answered_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Unique: an invitation is answered once (the database refuses a double submission).
    invitation_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    survey_id: Mapped[str] = mapped_column(String(36))
    survey_version: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[str | None] = mapped_column(String(36))
    ticket_id: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(50))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_id: Mapped[str | None] = mapped_column(String(200), index=True)  # null once erased
    response_channel: Mapped[str] = mapped_column(String(10))  # web | api | phone
    locale: Mapped[str] = mapped_column(String(35))
    invited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ResponseAnswer(Base):
    __tablename__ = "response_answers"

    response_id: Mapped[str] = mapped_column(String(36), ForeignKey("responses.id"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    dimension: Mapped[str] = mapped_column(String(50))
    number: Mapped[int | None] = mapped_column(Integer)  # csat, nps, ces, rating
    choices: Mapped[list[Any] | None] = mapped_column(JSON)  # single_choice, multiple_choice keys
    text: Mapped[str | None] = mapped_column(Text)  # text answers
