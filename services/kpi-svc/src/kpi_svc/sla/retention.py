"""Retention of the SLA tables, which grow with the tickets: a ticket's clock state once both clocks
stopped, measured timers, and notices of timers no longer running, after ``sla_retention_days``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Table, and_, exists

from csq_common.retention import RetentionRule
from kpi_svc.sla.models import CANCELLED, MET, MISSED, PAUSED, RUNNING, SlaNotice, SlaTicket, SlaTimer


def _notice_of_a_stopped_timer(table: Table):
    timers = SlaTimer.__table__
    return ~exists().where(
        and_(
            timers.c.ticket_id == table.c.ticket_id, timers.c.metric == table.c.metric, timers.c.due_at == table.c.due_at,
            timers.c.state.in_((RUNNING, PAUSED)),
        )
    )


def sla_rules(days: float) -> list[RetentionRule]:
    keep = timedelta(days=days)
    return [
        RetentionRule(SlaTicket.__table__, "updated_at", keep, pending=lambda t: t.c.active.is_(False), name="sla_tickets"),
        RetentionRule(SlaTimer.__table__, "started_at", keep, pending=lambda t: t.c.state.in_((MET, MISSED, CANCELLED)), name="sla_timers"),
        # A notice goes only once its timer stopped: one still running at that due time would be notified again.
        RetentionRule(SlaNotice.__table__, "published_at", keep, pending=_notice_of_a_stopped_timer, name="sla_notices"),
    ]
