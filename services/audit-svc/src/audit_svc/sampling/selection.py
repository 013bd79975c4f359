"""The sampling rule as a pure function: the same seed and candidates give the same sample.

Candidates are taken in ticket-id order and every choice is drawn from one
``random.Random(seed)``, in this order:

1. random: exactly ``round(rate × N)`` of the N candidates (halves round up), without
   replacement;
2. minimum per agent: each agent (in agent-id order) with fewer than ``min_per_agent`` tickets
   sampled gets more of their remaining tickets drawn, as far as they have any;
3. targeted rules (in the plan's order): every match is sampled; a rule with a ``limit`` adds at
   most that many tickets not sampled yet, drawn at random. A ticket sampled already gets the
   rule's name (``tag:<tag>`` for a tag rule) added to its reasons.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


@dataclass(frozen=True)
class Candidate:
    ticket_id: str
    agent_id: str | None
    team_id: str | None
    channel: str | None
    closed_at: datetime
    tags: tuple[str, ...] = ()
    complaint: bool = False
    reopen_count: int = 0
    first_response_seconds: float | None = None
    handle_seconds: float | None = None
    lowest_csat: int | None = None


@dataclass
class Sample:
    candidates: list[Candidate]
    reasons: dict[str, list[str]] = field(default_factory=dict)

    def count(self, reason: str) -> int:
        return sum(1 for reasons in self.reasons.values() if reasons[0] == reason)


def random_count(rate: Decimal, population: int) -> int:
    """``round(rate × population)``, halves rounded up."""
    return int((rate * population).to_integral_value(rounding=ROUND_HALF_UP))


def reason_name(rule: dict[str, Any]) -> str:
    """How a targeted rule is named in a sample's reasons (``tag:<tag>`` for tag rules)."""
    return f"tag:{rule['tag']}" if rule["rule"] == "tag" else rule["rule"]


def matches(rule: dict[str, Any], ticket: Candidate) -> bool:
    kind = rule["rule"]
    if kind == "low_csat":
        return ticket.lowest_csat is not None and ticket.lowest_csat <= rule["max_csat"]
    if kind == "long_first_response":
        return ticket.first_response_seconds is not None and ticket.first_response_seconds > rule["seconds"]
    if kind == "reopened":
        return ticket.reopen_count > 0
    if kind == "complaint":
        return ticket.complaint
    if kind == "long_handle_time":
        return ticket.handle_seconds is not None and ticket.handle_seconds > rule["seconds"]
    if kind == "tag":
        return rule["tag"] in ticket.tags
    raise ValueError(f"unknown targeted rule {kind!r}")


def choose(candidates: list[Candidate], *, rate: Decimal, min_per_agent: int, targeted: list[dict[str, Any]], seed: int) -> Sample:
    """The sample of ``candidates`` under the rule, reasons per ticket id (first reason first)."""
    ordered = sorted(candidates, key=lambda ticket: ticket.ticket_id)
    rng = random.Random(seed)
    reasons: dict[str, list[str]] = {}
    for ticket in rng.sample(ordered, random_count(rate, len(ordered))):
        reasons[ticket.ticket_id] = ["random"]
    if min_per_agent:
        by_agent: dict[str, list[Candidate]] = defaultdict(list)
        for ticket in ordered:
            if ticket.agent_id is not None:
                by_agent[ticket.agent_id].append(ticket)
        for agent_id in sorted(by_agent):
            tickets = by_agent[agent_id]
            missing = min_per_agent - sum(1 for ticket in tickets if ticket.ticket_id in reasons)
            rest = [ticket for ticket in tickets if ticket.ticket_id not in reasons]
            if missing > 0 and rest:
                for ticket in rng.sample(rest, min(missing, len(rest))):
                    reasons[ticket.ticket_id] = ["minimum"]
    for rule in targeted:
        found = [ticket for ticket in ordered if matches(rule, ticket)]
        new = [ticket for ticket in found if ticket.ticket_id not in reasons]
        if rule.get("limit") is not None and len(new) > rule["limit"]:
            chosen = {ticket.ticket_id for ticket in rng.sample(new, rule["limit"])}
            found = [ticket for ticket in found if ticket.ticket_id in reasons or ticket.ticket_id in chosen]
        for ticket in found:
            ticket_reasons = reasons.setdefault(ticket.ticket_id, [])
            if reason_name(rule) not in ticket_reasons:
                ticket_reasons.append(reason_name(rule))
    chosen_tickets = [ticket for ticket in ordered if ticket.ticket_id in reasons]
    return Sample(candidates=chosen_tickets, reasons={ticket.ticket_id: reasons[ticket.ticket_id] for ticket in chosen_tickets})
