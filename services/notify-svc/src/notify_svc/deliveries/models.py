"""The delivery log: one row per message a caller asked for, with its rendered content.

The content (recipient, variables with their live links, subject and bodies) is kept only as long
as it is needed: retention clears it a while after the delivery ended (``NOTIFY_RETENTION_DELIVERY_DAYS``)
and ``customer.erased`` at once for the customer's deliveries; the row itself stays as the log line.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow

QUEUED, SENDING, DELIVERED, FAILED = "queued", "sending", "delivered", "failed"
STATUSES = (QUEUED, SENDING, DELIVERED, FAILED)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_log", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    # Null once the content is cleared (retention, erasure).
    recipient_email: Mapped[str | None] = mapped_column(String(320))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    # The CRM's customer id for survey invitations (from the sealed contact), so that an erasure
    # finds what was sent to them; null otherwise and once erased.
    customer_id: Mapped[str | None] = mapped_column(String(200), index=True)
    locale: Mapped[str] = mapped_column(String(35))
    template: Mapped[str] = mapped_column(String(100))
    variables: Mapped[dict] = mapped_column(JSON)
    # Rendered once when accepted: what is sent is what was validated, whatever templates change later.
    subject: Mapped[str | None] = mapped_column(Text)
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    # Incremented by each claim; also the claim's version (see sender.claim).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # queued: when the next attempt is due; sending: when the claim lapses.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


#: What clearing a delivery's content sets (retention and erasure).
CLEARED_CONTENT = {
    "recipient_email": None, "recipient_name": None, "variables": {}, "subject": None, "text_body": None, "html_body": None,
}
