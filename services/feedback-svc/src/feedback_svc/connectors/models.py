"""Per vendor ticket: the event time of the change that last set each field (out-of-order merge)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow


class VendorTicketFields(Base):
    """One row per vendor ticket, also the row a delivery locks so that two deliveries of one
    ticket merge one after the other."""

    __tablename__ = "vendor_ticket_fields"

    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    # field name -> RFC 3339 event time of the change that set it
    field_times: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
