"""SLA tables: policies, the tickets as their clocks see them, the timers, and the notices.

- ``kpi_sla_policies``: targets per priority and tags; the first by creation that matches applies.
- ``kpi_sla_tickets``: per ticket only what the clocks need (dimensions, priority, tags, the
  timestamps that start and stop them, and the status changes that pause them), so a policy or a
  calendar created later can be applied to every clock still running.
- ``kpi_sla_timers``: one per ticket, metric and clock start (a reopen starts a new resolution
  clock, each customer wait a next-response clock): the policy applied, its state and ``due_at``,
  the instant the target falls (or fell) due, and what it adds to ``kpi_sla_aggregates`` now
  (``counted_at``, ``counted_met``: see sla/counting.py).
- ``kpi_sla_aggregates``: per (resolution, bucket, team, agent, channel) in the grouping sets of the
  other counter tables, the timers measured and met per metric (the ``sla`` read kind).
- ``kpi_sla_notices``: one row per (ticket, metric, due_at, kind) published, inserted in the
  transaction of its outbox row, so each warning and breach goes out once across replicas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime
from kpi_svc.aggregates.models import DIM

RUNNING, PAUSED, MET, MISSED, CANCELLED = "running", "paused", "met", "missed", "cancelled"
FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION = "first_response", "next_response", "resolution"
WARNING, BREACH = "warning", "breach"
#: The transaction lock (csq_common.sql.transaction_lock) every writer of timers and their counts
#: holds shared (consumer batches, the notice worker) and a refresh after a policy or calendar is
#: created, changed or deleted holds alone (sla.timers.refresh_running).
TIMERS_LOCK = 0x6373712D736C61  # "csq-sla"


class SlaPolicy(Base):
    __tablename__ = "kpi_sla_policies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    priorities: Mapped[list[str]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON)
    first_response_seconds: Mapped[int] = mapped_column(BigInteger)
    next_response_seconds: Mapped[int | None] = mapped_column(BigInteger)
    resolution_seconds: Mapped[int] = mapped_column(BigInteger)
    business_hours: Mapped[bool] = mapped_column(Boolean)
    paused_statuses: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: 1 when created, one more at each change (a measured timer keeps the revision it was read under).
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SlaTicket(Base):
    __tablename__ = "kpi_sla_tickets"
    __table_args__ = (Index("ix_kpi_sla_tickets_active", "active", "updated_at"),)

    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    team_id: Mapped[str | None] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(50))
    priority: Mapped[str | None] = mapped_column(String(50))
    tags: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    statuses: Mapped[list[Any]] = mapped_column(JSON)  # [[RFC 3339 instant, status], …] in time order
    #: [priority, tags] of the event that first showed each clock's stop: a clock is matched to a
    #: policy as the ticket stood then, whatever later events say (null: not stopped, or stored
    #: before migration 0014).
    first_response_class: Mapped[list[Any] | None] = mapped_column(JSON)
    resolution_class: Mapped[list[Any] | None] = mapped_column(JSON)
    #: [[RFC 3339 instant, priority, tags], …] in time order: the class from each change on, for
    #: the policy of an answered customer wait (null: stored before migration 0015).
    class_changes: Mapped[list[Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the latest event applied
    active: Mapped[bool] = mapped_column(Boolean)  # a clock still runs (not responded or not resolved)


class SlaTimer(Base):
    __tablename__ = "kpi_sla_timers"
    __table_args__ = (Index("ix_kpi_sla_timers_due", "state", "due_at"), Index("ix_kpi_sla_timers_stopped", "metric", "stopped_at"))

    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    metric: Mapped[str] = mapped_column(String(20), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    policy_id: Mapped[str | None] = mapped_column(String(36))
    policy_revision: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[str | None] = mapped_column(String(50))
    team_id: Mapped[str | None] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(50))
    business_hours: Mapped[bool] = mapped_column(Boolean)
    target_seconds: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # when it falls (fell) due; null while paused or met
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the response or resolution
    counted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # its bucket time in kpi_sla_aggregates; null: not counted
    counted_met: Mapped[bool | None] = mapped_column(Boolean)  # counted as met (else measured unmet)


class SlaNotice(Base):
    __tablename__ = "kpi_sla_notices"
    __table_args__ = (Index("ix_kpi_sla_notices_timer", "ticket_id", "metric", "due_at", "kind"),)

    notice_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(10))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


#: Counter column prefix of each timer metric in ``kpi_sla_aggregates``.
COUNTER_PREFIX = {FIRST_RESPONSE: "frt", NEXT_RESPONSE: "next_response", RESOLUTION: "resolution"}
SLA_COUNTER_COLUMNS = tuple(f"{prefix}_{column}" for prefix in COUNTER_PREFIX.values() for column in ("measured", "met"))


class SlaAggregate(Base):
    """Timers measured (met, or fallen due unmet) and met, per metric, by met or due time."""

    __tablename__ = "kpi_sla_aggregates"
    __table_args__ = (
        Index(
            "ix_kpi_sla_aggregates_agent", "agent_id", "resolution", "bucket_start",
            postgresql_where=text("agent_id <> '*'"), sqlite_where=text("agent_id <> '*'"),
        ),
    )

    resolution: Mapped[str] = mapped_column(String(8), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(DIM), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(DIM), primary_key=True)
    channel: Mapped[str] = mapped_column(String(50), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    frt_measured: Mapped[int] = mapped_column(BigInteger, default=0)
    frt_met: Mapped[int] = mapped_column(BigInteger, default=0)
    next_response_measured: Mapped[int] = mapped_column(BigInteger, default=0)
    next_response_met: Mapped[int] = mapped_column(BigInteger, default=0)
    resolution_measured: Mapped[int] = mapped_column(BigInteger, default=0)
    resolution_met: Mapped[int] = mapped_column(BigInteger, default=0)
