"""KPI target events (kpi-svc → csq.kpi, keyed by target id)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime

from csq_common.events.envelope import EventData

TargetDirection = Literal["at_least", "at_most"]
TargetWindow = Literal["rolling_1h", "today", "this_week", "this_month"]


class KpiTargetEvent(EventData):
    """A KPI target changed state: breached (``kpi.target_breached``) or back within its
    hysteresis band (``kpi.target_recovered``); once per state change. ``scope`` holds the
    filters of the target (``team_id``, ``agent_id``, ``channel``), empty for the whole
    organisation; ``window`` is evaluated in the time zone ``tz``; ``value`` is the metric over
    the window when the state changed, ``at`` that evaluation's instant."""

    domain: ClassVar[str] = "kpi"
    target_id: str
    metric: str
    scope: dict[str, Any]  # team_id, agent_id, channel: the ones set
    window: TargetWindow
    tz: str = "UTC"
    value: float
    threshold: float
    direction: TargetDirection
    at: AwareDatetime


class KpiTargetBreached(KpiTargetEvent):
    event_type: ClassVar[str] = "kpi.target_breached"


class KpiTargetRecovered(KpiTargetEvent):
    event_type: ClassVar[str] = "kpi.target_recovered"


KPI_TARGET_EVENTS: dict[str, type[KpiTargetEvent]] = {cls.event_type: cls for cls in (KpiTargetBreached, KpiTargetRecovered)}
