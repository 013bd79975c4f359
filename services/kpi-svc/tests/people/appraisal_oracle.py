"""Plain-Python appraisal over generated facts: each subject's KPIs from read_oracle, scored,
totalled and graded here with its own arithmetic; shares no code with kpi_svc.people."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from tests.read_oracle import grouped_kpis


def in_window(start, end):
    return lambda moment: "all" if start <= moment < end else None


def subject_kpis(tickets, surveys, start, end, by: str) -> dict:
    """``{key: (values, counts)}`` per agent or team over ``[start, end)``."""
    group_of = (lambda fact: fact.agent) if by == "agent" else (lambda fact: fact.team)
    found = grouped_kpis(tickets, surveys, in_window(start, end), group_of)
    return {key: both for (key, _), both in found.items() if key is not None}


def home_teams(tickets, start, end) -> dict[str, str]:
    """Each agent's team with most closures in the window (ties: the smallest team id)."""
    per_agent: dict[str, Counter] = {}
    for closure in tickets.closures:
        if start <= closure.closed_at < end and closure.agent is not None and closure.team is not None:
            per_agent.setdefault(closure.agent, Counter())[closure.team] += 1
    return {agent: min(counts, key=lambda team: (-counts[team], team)) for agent, counts in per_agent.items()}


def grade(rule: dict, values: dict, counts: dict) -> dict:
    """``{total, grade, eligible, sample, scores}`` of one subject under ``rule`` (the API's body)."""
    scores, weighted, weight_sum = {}, Fraction(0), Fraction(0)
    for w in rule["weights"]:
        value = values.get(w["metric"])
        if value is None:
            scores[w["metric"]] = None
            continue
        low, high = Fraction(str(w["lower"])), Fraction(str(w["upper"]))
        if w["direction"] == "lower_is_better":
            share = (high - Fraction(value)) / (high - low)
        else:
            share = (Fraction(value) - low) / (high - low)
        score = 100 * max(Fraction(0), min(Fraction(1), share))
        scores[w["metric"]] = score
        weighted += Fraction(str(w["weight"])) * score
        weight_sum += Fraction(str(w["weight"]))
    total = weighted / weight_sum if weight_sum else None
    sample = counts.get(rule["sample_metric"], 0)
    eligible = total is not None and sample >= rule["min_sample"]
    letter = None
    if eligible:
        for band in rule["grades"]:
            if total >= Fraction(str(band["min_score"])):
                letter = band["grade"]
                break
    return {"total": total, "grade": letter, "eligible": eligible, "sample": sample, "scores": scores}


def stars(agent_grades: dict, teams: dict[str, str]) -> dict[str, str]:
    """team → its service star: the best total, then the larger sample, then the smaller id."""
    entrants: dict[str, list] = {}
    for agent, result in agent_grades.items():
        team = teams.get(agent)
        if result["eligible"] and team is not None:
            entrants.setdefault(team, []).append(agent)
    return {
        team: sorted(agents, key=lambda a: (-agent_grades[a]["total"], -agent_grades[a]["sample"], a))[0]
        for team, agents in entrants.items()
    }
