"""A generated population of closed tickets for the sampling tests: many agents in two teams,
some with very few tickets, a share of them low-rated, complaints, reopened or slow."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from audit_svc.tickets import service as intake
from tests.tickets.factories import answered, closed


def generate(start: datetime, end: datetime, *, count: int, agents: int = 40, seed: int = 7, prefix: str = "T") -> list:
    """``count`` closures spread over ``[start, end)``; agent A-0 … A-<agents-1>, the last three
    with a single ticket each (for the minimum per agent)."""
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    closures = []
    for number in range(count):
        agent = number % agents if number >= 3 else agents - 1 - number
        if number >= 3 and agent >= agents - 3:
            agent = rng.randrange(agents - 3)
        tags = ["refund"] if rng.random() < 0.3 else ["invoice"]
        if rng.random() < 0.02:
            tags.append("complaint")
        closures.append(
            closed(
                f"{prefix}-{number:05d}", closed_at=start + timedelta(seconds=rng.uniform(0, span - 1)), agent_id=f"A-{agent}",
                team_id="billing" if agent % 2 else "sales", reopen_count=1 if rng.random() < 0.03 else 0,
                handle_seconds=rng.choice([300, 600, 2400]), tags=tags,
            )
        )
    return closures


async def store(session, closures, *, low_csat_every: int = 50) -> None:
    await intake.record_closures(session, closures)
    answers = [answered(item.ticket.id, response_id=f"R-{item.ticket.id}", csat=1) for item in closures[::low_csat_every]]
    await intake.record_answers(session, answers)
