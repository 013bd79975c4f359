"""An agent's team over a period: the team the agent has most closures in (ties: the smallest
team id in code-point order), read from the grouped aggregates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kpi_svc.read.grouped import Selection
from kpi_svc.read.service import grouped_values

CLOSURES = "tickets_closed"


def _best(closures: dict[str, int]) -> str | None:
    """The team with most closures (ties: the smallest id); None when there are none."""
    ranked = sorted(((-count, team) for team, count in closures.items() if count > 0))
    return ranked[0][1] if ranked else None


async def team_of_agent(session: AsyncSession, agent_id: str, *, start: datetime, end: datetime) -> str | None:
    """One grouped read: the agent's closures per team over ``[start, end)`` (aligned)."""
    rows = await grouped_values(
        session, start=start, end=end, selection=Selection("team_id", agent_id=agent_id), metrics=(CLOSURES,)
    )
    return _best({row.key: row.values[CLOSURES] for row in rows.values() if row.key is not None})


async def teams_of_agents(session: AsyncSession, teams: Iterable[str], *, start: datetime, end: datetime) -> dict[str, str]:
    """Every agent's team over ``[start, end)`` (aligned): one grouped read of the agents of each
    of ``teams`` (the teams seen in the period), agents without a closure left out."""
    per_agent: dict[str, dict[str, int]] = {}
    for team in teams:
        rows = await grouped_values(
            session, start=start, end=end, selection=Selection("agent_id", team_id=team), metrics=(CLOSURES,)
        )
        for row in rows.values():
            if row.key is not None:
                per_agent.setdefault(row.key, {})[team] = row.values[CLOSURES]
    found = {agent: _best(closures) for agent, closures in per_agent.items()}
    return {agent: team for agent, team in found.items() if team is not None}
