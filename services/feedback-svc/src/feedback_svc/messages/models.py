"""One row per message of a ticket's conversation, as the CRM (or a vendor connector) sent it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow


class TicketMessage(Base):
    __tablename__ = "ticket_messages"
    __table_args__ = (
        # The conversation of a ticket in order (GET /v1/tickets/{id}/messages).
        Index("ix_ticket_messages_ticket_sent", "ticket_id", "sent_at", "message_id"),
        # Retention deletes by age.
        Index("ix_ticket_messages_sent_at", "sent_at"),
    )

    # A message id is unique within its ticket: the same id again is a redelivery.
    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    author_role: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[str | None] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    channel: Mapped[str | None] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    crm_event_id: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Set when an erasure blanked the text (and the author id) of a customer's message.
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
