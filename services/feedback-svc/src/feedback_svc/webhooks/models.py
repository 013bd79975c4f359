"""One receipt per CRM event id: the same delivery twice is a duplicate that changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow


class WebhookReceipt(Base):
    __tablename__ = "webhook_receipts"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(50))
    ticket_id: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
