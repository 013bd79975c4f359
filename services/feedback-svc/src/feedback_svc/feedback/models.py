"""A feedback item: what the customer said, where, how it was classified and rated, and where
its handling stands. The customer's identity lives only here (never in an event)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime


class FeedbackItem(Base):
    __tablename__ = "feedback_items"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_feedback_items_source_external_id"),
        Index("ix_feedback_items_received_at", "received_at", "id"),
        Index("ix_feedback_items_customer", "customer_id", "kind", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(50))
    external_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(10))
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    customer_id: Mapped[str | None] = mapped_column(String(200))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_phone: Mapped[str | None] = mapped_column(String(50))
    ticket_id: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(200))
    # Classification: the current kind and category, and what the rules said (for the report).
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(50))
    kind_given: Mapped[bool] = mapped_column(Boolean, default=False)  # the sender stated the kind
    predicted_kind: Mapped[str] = mapped_column(String(20))
    predicted_category: Mapped[str] = mapped_column(String(50))
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    sentiment: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[int] = mapped_column(Integer)
    priority: Mapped[str] = mapped_column(String(10))
    fired_rules: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # Handling workflow (feedback/workflow.py).
    status: Mapped[str] = mapped_column(String(20), default="new")
    assignee_id: Mapped[str | None] = mapped_column(String(200))
    triaged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    response_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reply_text: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    customer_confirmed: Mapped[bool | None] = mapped_column(Boolean)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    customer_comment: Mapped[str | None] = mapped_column(String(2000))
    # The customer's one-time confirmation link: only its SHA-256 is kept, until it is used.
    confirmation_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirmation_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
