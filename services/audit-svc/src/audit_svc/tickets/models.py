"""What audit-svc keeps of closed tickets and their survey answers: only what sampling reads.

One row per ticket (its latest closure as the CRM reported it) and one row per survey response
about a ticket. Both are written by the consumer and only read elsewhere.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow

#: The ticket tag that marks a complaint (until feedback-svc's complaints are linked to tickets).
COMPLAINT_TAG = "complaint"


class ClosedTicket(Base):
    __tablename__ = "closed_tickets"
    __table_args__ = (
        Index("ix_closed_tickets_closed_at", "closed_at"),
        Index("ix_closed_tickets_team_closed_at", "team_id", "closed_at"),
    )

    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(50))
    priority: Mapped[str | None] = mapped_column(String(50))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # first_response_at − created_at, kept so the "long first response" rule is a plain filter.
    first_response_seconds: Mapped[float | None] = mapped_column(Float)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    handle_seconds: Mapped[float | None] = mapped_column(Float)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    contact_count: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TicketSurveyAnswer(Base):
    """The CSAT and NPS answers of one survey response about a ticket (the lowest, when a
    response answers several questions of the kind)."""

    __tablename__ = "ticket_survey_answers"
    __table_args__ = (Index("ix_ticket_survey_answers_ticket", "ticket_id"),)

    response_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(200))
    csat: Mapped[int | None] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime)
