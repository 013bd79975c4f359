"""An agent's scorecard: every metric of ``read.service.METRICS`` over a period for the agent,
beside the agent's team over the same period, the agent's previous period of the same length
(the trend) and the agent's targets (people.targets, a hook).

Reads: the agent's closures per team (to pick the team, unless one is given), then for the period
and for the previous period one grouped read of the agent and one of the team, each a statement
per kind of aggregate (read.service.grouped_values) — never a statement per metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput
from kpi_svc.kpis.service import effective_window
from kpi_svc.people.targets import ScorecardTarget, targets_for_scorecard
from kpi_svc.people.teams import team_of_agent
from kpi_svc.read import zones
from kpi_svc.read.grouped import Selection
from kpi_svc.read.service import LOWER_IS_BETTER, METRICS, BreakdownRow, grouped_values

TEAM_GIVEN = "parameter"
TEAM_MOST_CLOSURES = "most_closures"


@dataclass(frozen=True)
class ScorecardMetric:
    metric: str
    direction: str
    value: float | int | None
    count: int
    team_value: float | int | None
    team_count: int
    previous_value: float | int | None
    previous_count: int
    change: float | int | None  # value − previous value; null unless both exist
    improved: bool | None  # the change in the metric's good direction; null when no change known
    target: ScorecardTarget | None
    target_met: bool | None


@dataclass(frozen=True)
class Scorecard:
    agent_id: str
    team_id: str | None
    team_source: str | None
    tz: str
    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime
    metrics: list[ScorecardMetric]


def direction_of(metric: str) -> str:
    return "lower_is_better" if metric in LOWER_IS_BETTER else "higher_is_better"


async def _one(session: AsyncSession, selection: Selection, key: str, start: datetime, end: datetime) -> BreakdownRow | None:
    rows = await grouped_values(session, start=start, end=end, selection=selection, metrics=METRICS)
    return rows.get(key)


def _value(row: BreakdownRow | None, metric: str):
    if row is None:
        return (0 if metric == "tickets_closed" else None), 0
    return row.values[metric], row.counts[metric]


def _met(target: ScorecardTarget | None, value) -> bool | None:
    if target is None or value is None:
        return None
    return value <= target.threshold if target.direction == "lower_is_better" else value >= target.threshold


async def scorecard(
    session: AsyncSession, *, agent_id: str, start: datetime, end: datetime, tz_name: str | None, team_id: str | None = None
) -> Scorecard:
    """The scorecard of ``agent_id`` over ``[start, end)`` widened to 15 minutes; the previous
    period is the same length just before it. The team is ``team_id`` if given, else the one the
    agent has most closures in over the period (none without a closure)."""
    tz = zones.zone(tz_name)
    start, end = effective_window(start, end)
    try:
        previous_start, previous_end = start - (end - start), start
    except OverflowError:
        raise InvalidInput("from", "is out of range: the previous period starts before year 1") from None
    source = TEAM_GIVEN if team_id else None
    if not team_id:
        team_id = await team_of_agent(session, agent_id, start=start, end=end)
        source = TEAM_MOST_CLOSURES if team_id else None
    mine = Selection("agent_id", agent_id=agent_id)
    current = await _one(session, mine, agent_id, start, end)
    previous = await _one(session, mine, agent_id, previous_start, previous_end)
    team = await _one(session, Selection("team_id", team_id=team_id), team_id, start, end) if team_id else None
    targets = await targets_for_scorecard(session, agent_id=agent_id, team_id=team_id, metrics=METRICS, start=start, end=end)
    lines = []
    for metric in METRICS:
        value, count = _value(current, metric)
        team_value, team_count = _value(team, metric)
        previous_value, previous_count = _value(previous, metric)
        change = None if value is None or previous_value is None else value - previous_value
        direction = direction_of(metric)
        improved = None if not change else (change < 0) == (direction == "lower_is_better")
        target = targets.get(metric)
        lines.append(ScorecardMetric(
            metric, direction, value, count, team_value, team_count, previous_value, previous_count, change, improved,
            target, _met(target, value),
        ))
    return Scorecard(
        agent_id, team_id, source, str(tz), zones.local_start(start, tz), zones.local_start(end, tz),
        zones.local_start(previous_start, tz), zones.local_start(previous_end, tz), lines,
    )
