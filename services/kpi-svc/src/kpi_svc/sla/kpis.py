"""SLA KPIs (DESIGN.md "More KPI definitions"): ``sla_frt_pct`` and ``sla_resolution_pct`` =
100 × timers that met their target / timers whose target fell due or that were met in the window,
attributed to the met time (the response or resolution) or the due time. Read from the timers
themselves: one grouped statement over the window, on the ``(metric, stopped_at)`` and
``(state, due_at)`` indexes."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kpi_svc.sla.models import CANCELLED, FIRST_RESPONSE, MET, RESOLUTION, SlaTimer

SLA_METRICS = {FIRST_RESPONSE: "sla_frt_pct", RESOLUTION: "sla_resolution_pct"}


def _measured(start: datetime, end: datetime, now: datetime):
    """Timers measured in ``[start, end)``: met in it, or fallen due in it (by ``now``) unmet."""
    met = and_(SlaTimer.state == MET, SlaTimer.stopped_at >= start, SlaTimer.stopped_at < end)
    fell_due = and_(
        SlaTimer.state.not_in((MET, CANCELLED)), SlaTimer.due_at >= start, SlaTimer.due_at < end, SlaTimer.due_at <= now
    )
    return or_(met, fell_due)


def _met_count():
    return func.sum(case((SlaTimer.state == MET, 1), else_=0))


async def sla_counts_by_team(
    session: AsyncSession, *, start: datetime, end: datetime, now: datetime
) -> dict[str | None, dict[str, tuple[int, int]]]:
    """team (``None``: without one) → SLA metric name → ``(timers measured, timers met)`` over
    ``[start, end)``, counted as :func:`sla_values` counts them (the Prometheus gauges read it)."""
    statement = (
        select(SlaTimer.team_id, SlaTimer.metric, func.count(), _met_count())
        .where(SlaTimer.metric.in_(tuple(SLA_METRICS)), _measured(start, end, now))
        .group_by(SlaTimer.team_id, SlaTimer.metric)
    )
    counts: dict[str | None, dict[str, tuple[int, int]]] = {}
    for team, metric, total, met_count in (await session.execute(statement)).all():
        per_metric = counts.setdefault(team or None, {})  # NULL and "" are both "no team"
        measured, met = per_metric.get(SLA_METRICS[metric], (0, 0))
        per_metric[SLA_METRICS[metric]] = (measured + total, met + int(met_count or 0))
    return counts


async def sla_values(
    session: AsyncSession, *, start: datetime, end: datetime, now: datetime, team_id: str | None = None,
    agent_id: str | None = None, channel: str | None = None,
) -> tuple[dict[str, float | None], dict[str, int]]:
    """``({sla_frt_pct, sla_resolution_pct}, their counts)`` over ``[start, end)``; a target
    counts as fallen due once ``now`` has passed it."""
    statement = (
        select(SlaTimer.metric, func.count(), _met_count())
        .where(SlaTimer.metric.in_(tuple(SLA_METRICS)), _measured(start, end, now))
        .group_by(SlaTimer.metric)
    )
    for column, value in ((SlaTimer.team_id, team_id), (SlaTimer.agent_id, agent_id), (SlaTimer.channel, channel)):
        if value:
            statement = statement.where(column == value)
    measured = {metric: (total, int(met_count or 0)) for metric, total, met_count in (await session.execute(statement)).all()}
    values: dict[str, float | None] = {}
    counts: dict[str, int] = {}
    for metric, name in SLA_METRICS.items():
        total, met_count = measured.get(metric, (0, 0))
        values[name] = None if total == 0 else float(Fraction(100 * met_count, total))
        counts[name] = total
    return values, counts
