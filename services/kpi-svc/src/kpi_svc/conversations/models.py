"""Per-ticket and per-customer state behind ``next_response_avg_seconds`` and ``repeat_contact_pct``.

- ``kpi_next_response_state``: per ticket, since when the customer has been waiting for a public
  agent reply (the oldest unanswered customer message, null when nothing waits) and the latest
  reply seen; see conversations.messages.
- ``kpi_customer_tickets``: per customer, the tickets seen with their creation time, so a closure
  can tell whether the customer opened another ticket in the 7 days before it; see
  conversations.contacts. The customer is kept as the SHA-256 of the CRM's id (``customer_hash``),
  never the id itself; rows go after a retention period and at once on ``customer.erased``.

``updated_at`` / ``recorded_at`` are wall-clock times of the last write, for retention only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime


class NextResponseState(Base):
    __tablename__ = "kpi_next_response_state"
    __table_args__ = (Index("ix_kpi_next_response_state_updated_at", "updated_at"),)

    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    waiting_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_reply_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CustomerTicket(Base):
    __tablename__ = "kpi_customer_tickets"
    __table_args__ = (
        Index("ix_kpi_customer_tickets_recorded_at", "recorded_at"),
        # a closure asks whether its customer opened another ticket in a time range: one range probe
        Index("ix_kpi_customer_tickets_customer_created", "customer_hash", "created_at"),
    )

    customer_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
