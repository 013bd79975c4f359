"""SLA timer events (kpi-svc → csq.kpi, keyed by ticket id)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime

from csq_common.events.envelope import EventData


# ---- SLA timers (kpi-svc → csq.kpi, keyed by ticket id) ---------------------------------------

SlaMetric = Literal["first_response", "next_response", "resolution"]


class SlaEvent(EventData):
    """An SLA target of a ticket about to fall due (``sla.warning``) or fallen due (``sla.breached``):
    once per ticket, metric and ``due_at``; ``at`` is when the warning or breach happened."""

    domain: ClassVar[str] = "kpi"
    ticket_id: str
    policy_id: str
    metric: SlaMetric
    priority: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    due_at: AwareDatetime
    at: AwareDatetime
    business_hours: bool


class SlaWarning(SlaEvent):
    event_type: ClassVar[str] = "sla.warning"


class SlaBreached(SlaEvent):
    event_type: ClassVar[str] = "sla.breached"


SLA_EVENTS: dict[str, type[SlaEvent]] = {cls.event_type: cls for cls in (SlaWarning, SlaBreached)}
