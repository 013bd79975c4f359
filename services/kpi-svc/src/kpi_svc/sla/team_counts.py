"""The SLA counts per team (timers measured, timers met) that the Prometheus gauges and the
rebuild's comparison read: the ``sla`` kind grouped by team, as the breakdown reads it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kpi_svc.read.grouped import Selection, read_cells
from kpi_svc.sla.kpis import SLA, measured_and_met


async def sla_counts_by_team(session: AsyncSession, *, start: datetime, end: datetime) -> dict[str | None, dict[str, tuple[int, int]]]:
    """team (``None``: without one) → SLA KPI name → ``(timers measured, timers met)`` over
    ``[start, end)`` (15-minute boundaries); teams with no timer measured are left out."""
    cells = await read_cells(session, SLA, Selection("team_id"), [start, end])
    counts = {}
    for (team, _), cell in cells.items():
        per_metric = measured_and_met(cell.counters)
        if any(measured for measured, _ in per_metric.values()):
            counts[team] = per_metric
    return counts
