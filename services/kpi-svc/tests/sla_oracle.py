"""SLA percentages from measured timers written down by a test (plain Python, no kpi_svc code):
one outcome per timer that met its target (at the met time) or fell due unmet (at the due time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

NAMES = {"first_response": "sla_frt_pct", "next_response": "sla_next_response_pct", "resolution": "sla_resolution_pct"}


@dataclass(frozen=True)
class SlaOutcome:
    metric: str  # first_response | next_response | resolution
    at: datetime
    team: str | None
    agent: str | None
    channel: str | None
    met: bool


def sla_kpis(outcomes, start: datetime, end: datetime) -> tuple[dict, dict]:
    """``(values, counts)`` of the SLA KPIs over the outcomes in ``[start, end)``."""
    values, counts = {}, {}
    for metric, name in NAMES.items():
        inside = [o for o in outcomes if o.metric == metric and start <= o.at < end]
        met = sum(1 for o in inside if o.met)
        values[name] = None if not inside else float(Fraction(100 * met, len(inside)))
        counts[name] = len(inside)
    return values, counts
