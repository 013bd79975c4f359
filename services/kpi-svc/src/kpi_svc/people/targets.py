"""HOOK for targets (built by the targets feature, /v1/targets): the scorecard shows, per metric,
the target that applies to the agent (or, failing that, the agent's team).

``targets_for_scorecard`` is the one place the scorecard asks; until the targets table exists it
returns no targets, and every scorecard metric's ``target`` is null. When targets land, make it
read them (one statement for all ``metrics``) and return a ``ScorecardTarget`` per metric that has
one; the scorecard compares the agent's value with it (``met``) in the target's direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class ScorecardTarget:
    threshold: float
    direction: str  # higher_is_better | lower_is_better
    scope: str  # agent | team | organisation
    target_id: str | None = None


async def targets_for_scorecard(
    session: AsyncSession, *, agent_id: str, team_id: str | None, metrics: tuple[str, ...], start: datetime, end: datetime
) -> dict[str, ScorecardTarget]:
    """The target of each metric of ``metrics`` that applies to ``agent_id`` (else ``team_id``,
    else the organisation) over ``[start, end)``: none until the targets table exists."""
    return {}
