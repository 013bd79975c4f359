"""SLA KPIs (DESIGN.md "More KPI definitions"): ``sla_frt_pct``, ``sla_next_response_pct`` and
``sla_resolution_pct`` = 100 × timers that met their target / timers measured in the window (met:
at the response or resolution time; missed: at the due time, once it has passed), higher is
better. They are the read kind ``sla``: the counter table ``kpi_sla_aggregates`` (sla/counting.py
says what a timer adds and when), read like the customer-voice kinds by the summary, series,
breakdowns, peak hours, leaderboards, scorecards and targets."""

from __future__ import annotations

from fractions import Fraction

from kpi_svc.sla.models import COUNTER_PREFIX, FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION, SLA_COUNTER_COLUMNS, SlaAggregate
from kpi_svc.voice.kpis import CounterKind

SLA = "sla"
SLA_KIND = CounterKind(SlaAggregate.__table__, SLA_COUNTER_COLUMNS)
#: Timer metric → KPI name.
SLA_METRIC_OF = {FIRST_RESPONSE: "sla_frt_pct", NEXT_RESPONSE: "sla_next_response_pct", RESOLUTION: "sla_resolution_pct"}
SLA_METRICS = tuple(SLA_METRIC_OF.values())


def sla_values_of(sums: list[int] | None) -> tuple[dict[str, float | None], dict[str, int]]:
    """``(values, counts)`` of the SLA KPIs from summed ``kpi_sla_aggregates`` counters (None: no
    data); a KPI's count is its timers measured."""
    c = dict(zip(SLA_COUNTER_COLUMNS, sums or [0] * len(SLA_COUNTER_COLUMNS)))
    values: dict[str, float | None] = {}
    counts: dict[str, int] = {}
    for metric, name in SLA_METRIC_OF.items():
        measured, met = c[f"{COUNTER_PREFIX[metric]}_measured"], c[f"{COUNTER_PREFIX[metric]}_met"]
        values[name] = None if measured == 0 else float(Fraction(100 * met, measured))
        counts[name] = measured
    return values, counts


def measured_and_met(sums: list[int] | None) -> dict[str, tuple[int, int]]:
    """KPI name → ``(timers measured, timers met)`` from summed counters."""
    c = dict(zip(SLA_COUNTER_COLUMNS, sums or [0] * len(SLA_COUNTER_COLUMNS)))
    return {
        name: (c[f"{COUNTER_PREFIX[metric]}_measured"], c[f"{COUNTER_PREFIX[metric]}_met"]) for metric, name in SLA_METRIC_OF.items()
    }
