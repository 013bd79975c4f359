"""Running an appraisal rule over a closed period into kept results, and reading them.

A run reads the period's metrics per agent and per team (one grouped read each) and every agent's
team (people.teams), evaluates the rule (people.scoring) for each, flags the bottom grade for
coaching and picks each team's service star: the eligible agent of the team with the highest
total, ties broken by the larger sample, then the smaller agent id (code-point order).

Results are kept per (rule, period, subject) in revisions: the first run of a period stores
revision 1; a later run stores nothing for a subject whose result is unchanged, and otherwise a
new revision marked as a correction with its differences from the one before (late events do not
change a closed month silently). A subject that a later run no longer sees gets a correction to
no data. Only periods that have ended can be run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import Conflict, InvalidInput
from kpi_svc.kpis.service import effective_window
from kpi_svc.people import periods, scoring
from kpi_svc.people.models import AppraisalResult
from kpi_svc.people.rules import load_rule, rule_of
from kpi_svc.people.teams import teams_of_agents
from kpi_svc.read import zones
from kpi_svc.read.grouped import Selection
from kpi_svc.read.service import grouped_values

AGENT = "agent"
TEAM = "team"
SUBJECT_TYPES = (AGENT, TEAM)
#: The fields of a kept result compared between runs (``inputs`` metric by metric).
COMPARED = ("team_id", "sample", "eligible", "total", "grade", "coaching_suggested", "service_star")


@dataclass(frozen=True)
class RunSummary:
    rule_id: str
    period: str
    start: datetime
    end: datetime
    computed_at: datetime
    agents: int
    teams: int
    new: int
    corrected: int
    unchanged: int


def _fields(evaluation: scoring.Evaluation, rule: scoring.Rule, team_id: str | None, star: bool) -> dict[str, Any]:
    return {
        "team_id": team_id,
        "sample": evaluation.sample,
        "eligible": evaluation.eligible,
        "total": None if evaluation.total is None else float(evaluation.total),
        "grade": evaluation.grade,
        "coaching_suggested": evaluation.grade is not None and evaluation.grade == rule.bottom_grade,
        "service_star": star,
        "inputs": evaluation.inputs,
    }


def _differences(before: AppraisalResult, after: dict[str, Any]) -> dict[str, list]:
    """``{field: [before, after]}`` of what changed (``inputs.<metric>.<part>`` for the inputs)."""
    changed = {name: [getattr(before, name), after[name]] for name in COMPARED if getattr(before, name) != after[name]}
    for metric in sorted({*before.inputs, *after["inputs"]}):
        old, new = before.inputs.get(metric, {}), after["inputs"].get(metric, {})
        for part in sorted({*old, *new}):
            if old.get(part) != new.get(part):
                changed[f"inputs.{metric}.{part}"] = [old.get(part), new.get(part)]
    return changed


async def _latest(session: AsyncSession, rule_id: str, period: str) -> dict[tuple[str, str], AppraisalResult]:
    rows = (await session.execute(
        select(AppraisalResult).where(AppraisalResult.rule_id == rule_id, AppraisalResult.period == period)
        .order_by(AppraisalResult.revision)
    )).scalars()
    return {(row.subject_type, row.subject_id): row for row in rows}  # the last revision wins


async def run_appraisal(session: AsyncSession, *, rule_id: str, period: str, now: datetime) -> RunSummary:
    """Evaluate rule ``rule_id`` over ``period`` (which must have ended) and keep the results."""
    row = await load_rule(session, rule_id)
    rule = rule_of(row)
    start, end = periods.window(row.period, period, zones.zone(row.tz))
    if end > now:
        raise InvalidInput("period", "has not ended yet: only a closed period is appraised (the scorecard shows a running one)")
    start, end = effective_window(start, end)
    agents = await grouped_values(session, start=start, end=end, selection=Selection("agent_id"), metrics=rule.metrics)
    teams = await grouped_values(session, start=start, end=end, selection=Selection("team_id"), metrics=rule.metrics)
    team_ids = sorted(key for key in teams if key is not None)
    team_of = await teams_of_agents(session, team_ids, start=start, end=end)

    evaluated = {
        (AGENT, key): (scoring.evaluate(rule, found.values, found.counts), team_of.get(key)) for key, found in agents.items()
        if key is not None
    }
    evaluated.update({(TEAM, key): (scoring.evaluate(rule, teams[key].values, teams[key].counts), key) for key in team_ids})
    contenders: dict[str, list[tuple]] = {}
    for (kind, key), (evaluation, team_id) in evaluated.items():
        if kind == AGENT and evaluation.eligible and team_id is not None:
            contenders.setdefault(team_id, []).append(scoring.star_order(evaluation.total, evaluation.sample, key))
    stars = {min(entries)[2] for entries in contenders.values()}
    fresh = {
        subject: _fields(evaluation, rule, team_id, subject[0] == AGENT and subject[1] in stars)
        for subject, (evaluation, team_id) in evaluated.items()
    }

    kept = await _latest(session, rule_id, period)
    nothing = scoring.evaluate(rule, {}, {})
    new = corrected = unchanged = 0
    for subject in sorted({*fresh, *kept}):
        before = kept.get(subject)
        after = fresh.get(subject) or _fields(nothing, rule, before.team_id, False)
        if before is None:
            revision, differences, new = 1, None, new + 1
        else:
            differences = _differences(before, after)
            if not differences:
                unchanged += 1
                continue
            revision, corrected = before.revision + 1, corrected + 1
        session.add(AppraisalResult(
            rule_id=rule_id, period=period, subject_type=subject[0], subject_id=subject[1], revision=revision,
            differences=differences, computed_at=now, **after,
        ))
    try:
        await session.flush()
    except IntegrityError:  # a concurrent run stored the same revision first
        raise Conflict("another run of this rule and period was kept at the same moment; run it again") from None
    return RunSummary(rule_id, period, start, end, now, sum(1 for kind, _ in fresh if kind == AGENT), len(team_ids),
                      new, corrected, unchanged)


@dataclass(frozen=True)
class KeptResult:
    latest: AppraisalResult
    original: AppraisalResult | None  # revision 1 when the latest is a correction


@dataclass(frozen=True)
class KeptResults:
    rule_id: str
    period: str
    start: datetime
    end: datetime
    items: list[KeptResult]


def _order(item: KeptResult) -> tuple:
    """Teams first, then agents; each by total, best first (ungraded last), then by id."""
    row = item.latest
    return (row.subject_type != TEAM, not row.eligible, -(row.total or 0) if row.eligible else 0, row.subject_id)


async def list_results(
    session: AsyncSession, *, rule_id: str, period: str, team_id: str | None = None, subject_type: str | None = None
) -> KeptResults:
    """The kept results of a rule and period (the latest revision of each subject, with its
    original when corrected), of one team (its agents and the team itself) if ``team_id``."""
    row = await load_rule(session, rule_id)
    start, end = periods.window(row.period, period, zones.zone(row.tz))
    if subject_type and subject_type not in SUBJECT_TYPES:
        raise InvalidInput("subject_type", f"must be one of {', '.join(SUBJECT_TYPES)}")
    statement = select(AppraisalResult).where(AppraisalResult.rule_id == rule_id, AppraisalResult.period == period)
    if subject_type:
        statement = statement.where(AppraisalResult.subject_type == subject_type)
    revisions: dict[tuple[str, str], list[AppraisalResult]] = {}
    for result in (await session.execute(statement.order_by(AppraisalResult.revision))).scalars():
        revisions.setdefault((result.subject_type, result.subject_id), []).append(result)
    # the team filter applies to the latest revision (a correction may move an agent between teams)
    items = [
        KeptResult(rows[-1], rows[0] if len(rows) > 1 else None) for rows in revisions.values()
        if not team_id or rows[-1].team_id == team_id
    ]
    return KeptResults(rule_id, period, start, end, sorted(items, key=_order))
