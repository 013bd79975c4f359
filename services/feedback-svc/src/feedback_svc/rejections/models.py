from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime


class WebhookRejection(Base):
    """An authenticated vendor delivery answered 422: what arrived, and why it was refused."""

    __tablename__ = "webhook_rejections"
    __table_args__ = (Index("ix_webhook_rejections_created_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)  # when it arrived
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)  # the raw body, as UTF-8 (invalid bytes replaced)
