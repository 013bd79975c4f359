"""The targets the agent scorecard shows (from /v1/targets): per metric, the target set for the
agent, else for the agent's team, else for the whole organisation. Channel-scoped targets and
targets of another scope combination (a team and an agent together) do not apply to a
scorecard. The scorecard compares the agent's period value with the threshold in the target's
direction; the target's own evaluation window is not the scorecard's period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kpi_svc.targets.models import AT_MOST, KpiTarget

AGENT, TEAM, ORGANISATION = "agent", "team", "organisation"
_PRECEDENCE = {AGENT: 0, TEAM: 1, ORGANISATION: 2}


@dataclass(frozen=True)
class ScorecardTarget:
    threshold: float
    direction: str  # higher_is_better | lower_is_better
    scope: str  # agent | team | organisation
    target_id: str | None = None


def _scope(target: KpiTarget, agent_id: str, team_id: str | None) -> str | None:
    if target.channel is not None:
        return None
    if target.agent_id is not None:
        return AGENT if target.agent_id == agent_id and target.team_id is None else None
    if target.team_id is not None:
        return TEAM if team_id is not None and target.team_id == team_id else None
    return ORGANISATION


async def targets_for_scorecard(
    session: AsyncSession, *, agent_id: str, team_id: str | None, metrics: tuple[str, ...], start: datetime, end: datetime
) -> dict[str, ScorecardTarget]:
    """The target of each metric of ``metrics`` that applies to ``agent_id`` (else ``team_id``,
    else the organisation); of several at one scope, the one created first."""
    rows = (
        await session.scalars(select(KpiTarget).where(KpiTarget.metric.in_(metrics)).order_by(KpiTarget.created_at, KpiTarget.id))
    ).all()
    chosen: dict[str, tuple[int, ScorecardTarget]] = {}
    for target in rows:
        scope = _scope(target, agent_id, team_id)
        if scope is None:
            continue
        rank = _PRECEDENCE[scope]
        if target.metric in chosen and chosen[target.metric][0] <= rank:
            continue
        direction = "lower_is_better" if target.direction == AT_MOST else "higher_is_better"
        chosen[target.metric] = (rank, ScorecardTarget(target.threshold, direction, scope, target.id))
    return {metric: target for metric, (_, target) in chosen.items()}
