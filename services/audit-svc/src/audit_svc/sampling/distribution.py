"""Who reviews which sampled ticket: the pure rule behind a cycle's assignments.

Nobody reviews their own tickets (reviewer id = the ticket's agent id), and in a peer plan no
reviewer gets a ticket of their own team. Among the reviewers allowed, each ticket (in
ticket-id order) goes to the one whose load after taking it is the smallest share of their goal
(ties: the earlier reviewer in the plan), so loads follow the goals; reviewers without a goal
count with the mean goal of those that have one (or all alike when none has).
"""

from __future__ import annotations

from typing import Any, Protocol


class Assignable(Protocol):
    ticket_id: str
    agent_id: str | None
    team_id: str | None


def may_review(reviewer: dict[str, Any], ticket: Assignable, *, method: str) -> bool:
    if reviewer["id"] == ticket.agent_id:
        return False
    return not (method == "peer" and ticket.team_id is not None and reviewer.get("team_id") == ticket.team_id)


def weights(reviewers: list[dict[str, Any]]) -> dict[str, float]:
    goals = [reviewer["goal"] for reviewer in reviewers if reviewer.get("goal")]
    default = sum(goals) / len(goals) if goals else 1.0
    return {reviewer["id"]: float(reviewer.get("goal") or default) for reviewer in reviewers}


def distribute(tickets: list[Assignable], reviewers: list[dict[str, Any]], *, method: str) -> dict[str, str | None]:
    """Ticket id → reviewer id (None when no reviewer of the plan may review it)."""
    weight = weights(reviewers)
    load = {reviewer["id"]: 0 for reviewer in reviewers}
    position = {reviewer["id"]: index for index, reviewer in enumerate(reviewers)}
    chosen: dict[str, str | None] = {}
    for ticket in sorted(tickets, key=lambda item: item.ticket_id):
        allowed = [reviewer["id"] for reviewer in reviewers if may_review(reviewer, ticket, method=method)]
        if not allowed:
            chosen[ticket.ticket_id] = None
            continue
        reviewer_id = min(allowed, key=lambda rid: ((load[rid] + 1) / weight[rid], position[rid]))
        load[reviewer_id] += 1
        chosen[ticket.ticket_id] = reviewer_id
    return chosen
