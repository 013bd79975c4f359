"""Campaigns (which survey goes to whom, when) and the invitations they create.

An invitation is created when its campaign decides to invite (a ticket closed and passed the
filters, sampling and throttling; or a recipient was posted), ``scheduled`` until its send time,
then ``sent`` (``survey.invited`` in the outbox; an email invitation's token is minted then), and ends ``answered``,
``expired`` or ``cancelled`` (the ticket was reopened before it went out).

Privacy: the one-time token is never stored, in any form, only its SHA-256; the recipient's
contact (sealed for notify-svc by feedback-svc, or here for an explicit recipient; opaque here,
in ``sealed_message`` until the invitation is sent, then gone) and the link (sealed at send time,
never stored) travel to notify-svc sealed (csq_common.sealing). No table holds a customer's email
or name. Anonymous campaigns leave ``customer_id`` null; throttling uses ``customer_contacts``,
keyed by a keyed hash of the customer id, not linked to any invitation. ``customer.erased``
clears ``customer_id`` (see survey_svc.customers).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime, utcnow

# Invitation statuses.
SCHEDULED, SENT, ANSWERED, EXPIRED, CANCELLED = "scheduled", "sent", "answered", "expired", "cancelled"


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_created_at_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    survey_id: Mapped[str] = mapped_column(String(36), ForeignKey("surveys.id"))
    # None: the survey's latest published version at the moment each invitation is created.
    survey_version: Mapped[int | None] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(20))  # ticket_closed | explicit
    # {"team_ids": [...], "channels": [...], "priorities": [...], "tags": [...]}; empty = any.
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delivery: Mapped[str] = mapped_column(String(10))  # email | link
    delay_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    sampling_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal(1))  # exact 0..1
    throttle_days: Mapped[int] = mapped_column(Integer, default=30)
    expiry_seconds: Mapped[int] = mapped_column(Integer, default=7 * 86_400)
    reminder_after_seconds: Mapped[int | None] = mapped_column(Integer)  # None: no reminder
    # A closure read longer than this after the ticket closed (a replay of old CRM events) is not invited.
    max_ticket_age_seconds: Mapped[int] = mapped_column(Integer, default=7 * 86_400)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | paused | ended
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_due", "status", "send_at"),
        Index("ix_invitations_expiry", "status", "expires_at"),
        Index("ix_invitations_reminder", "status", "reminder_due_at"),
        Index("ix_invitations_ticket", "ticket_id", "status"),
        Index("ix_invitations_campaign_invited", "campaign_id", "invited_at"),
        Index("ix_invitations_survey_invited", "survey_id", "invited_at"),
        Index("ix_invitations_created_at_id", "created_at", "id"),
        # One invitation per closure and campaign, however often the CRM reports the close.
        UniqueConstraint("campaign_id", "ticket_id", "ticket_closed_at", name="uq_invitations_closure"),
        # Explicit recipients: a client retry with the same external_id finds the first invitation.
        UniqueConstraint("campaign_id", "external_id", name="uq_invitations_external_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(36), ForeignKey("campaigns.id"))
    survey_id: Mapped[str] = mapped_column(String(36))
    survey_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=SCHEDULED)
    delivery: Mapped[str] = mapped_column(String(10))  # email | link
    locale: Mapped[str] = mapped_column(String(35))  # zh-CN | en
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 hex of the one-time token. Email delivery: null while scheduled, set when the
    # invitation is sent (the token exists only then). Link delivery: set at creation (the caller
    # is shown the link) and replaced on each fresh link.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Attribution fixed at creation (the ticket at close), carried into answers and expiries.
    # Explicit recipients: the client's own id for the recipient (idempotent retries).
    external_id: Mapped[str | None] = mapped_column(String(200))
    ticket_id: Mapped[str | None] = mapped_column(String(200))
    ticket_closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    team_id: Mapped[str | None] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(50))
    # The CRM's customer id: null for anonymous campaigns and once the customer is erased.
    customer_id: Mapped[str | None] = mapped_column(String(200), index=True)
    # Email delivery: the recipient's contact (never the link) sealed for notify-svc, kept only
    # until the invitation is sent (or cancelled).
    sealed_message: Mapped[str | None] = mapped_column(Text)
    send_at: Mapped[datetime] = mapped_column(UtcDateTime)
    invited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminder_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    def attribution(self) -> dict[str, Any]:
        """What every survey event and response of this invitation carries (fixed at creation)."""
        return {
            "invitation_id": self.id,
            "survey_id": self.survey_id,
            "survey_version": self.survey_version,
            "campaign_id": self.campaign_id,
            "ticket_id": self.ticket_id,
            "team_id": self.team_id,
            "agent_id": self.agent_id,
            "channel": self.channel,
            "anonymous": self.anonymous,
        }


class CustomerContact(Base):
    """When a customer was last invited, across all campaigns (throttling). The key is
    HMAC-SHA256(SURVEY_CUSTOMER_KEY_SECRET, customer id; an explicit recipient without an id: its
    email): no identity readable here.

    ``reserved_at``: when the latest invitation was decided (created, still to go out or gone);
    ``last_invited_at``: when one was last sent (known for named campaigns only, since an
    anonymous invitation keeps nothing that leads back to the customer). Either one inside a
    campaign's throttle window throttles the customer."""

    __tablename__ = "customer_contacts"

    customer_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_invited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reserved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
