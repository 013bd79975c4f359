"""What audit-svc keeps of tickets: what sampling reads and the transcript a review shows.

One row per ticket (its latest closure as the CRM reported it), one row per survey response
about a ticket, one row per message of a ticket's conversation, and each ticket's customer id
(only to find the messages a ``customer.erased`` blanks). All are written by the consumer and
only read elsewhere.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text
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


class TicketMessage(Base):
    """One message of a ticket's conversation (``ticket.message_added``), kept once per
    (ticket, message id); a customer's text and author id are blanked when they are erased."""

    __tablename__ = "transcript_messages"
    __table_args__ = (Index("ix_transcript_messages_sent_at", "sent_at"),)

    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    author_role: Mapped[str] = mapped_column(String(20))  # customer | agent | bot | system
    author_id: Mapped[str | None] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TicketCustomer(Base):
    """Which customer a ticket is about, from the first ticket event that named one: what finds a
    ticket's messages when the customer is erased (the closure may come after the erasure). Only
    the SHA-256 of the customer id is kept: the erasure hashes the id it is given."""

    __tablename__ = "transcript_customers"
    __table_args__ = (Index("ix_transcript_customers_customer_key", "customer_key"), Index("ix_transcript_customers_seen_at", "seen_at"))

    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
