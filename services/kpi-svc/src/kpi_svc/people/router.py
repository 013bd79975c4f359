"""Agent scorecards (read), appraisal rules (admin to create; read to list and get) and kept
appraisal results (admin to run; read to list). Thin: the rules are in the service modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from csq_common.db import utcnow
from csq_common.http.auth import AdminScope, ReadScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, IdStr, UtcInstant, storable_str
from kpi_svc.people import appraisals, rules
from kpi_svc.people.scorecard import scorecard
from kpi_svc.people.schemas import (
    AppraisalList,
    AppraisalRuleCreate,
    AppraisalRulePage,
    AppraisalRuleRead,
    ResultRead,
    RunRead,
    ScorecardMetricRead,
    ScorecardRead,
    TargetRead,
)

router = APIRouter(tags=["people"], dependencies=[Depends(reject_unknown_query_parameters)])

RuleId = Annotated[storable_str(min_length=1, max_length=36), Query(description="An appraisal rule's id")]
Period = Annotated[storable_str(min_length=1, max_length=10), Query(description="A month (2026-11) or quarter (2026-Q4), as the rule's period")]
NOT_FOUND = {404: {"description": "Unknown appraisal rule"}}


@router.get("/v1/agents/{agent_id}/scorecard", response_model=ScorecardRead, response_model_by_alias=True)
async def get_scorecard(
    agent_id: Annotated[IdStr, Path()],
    _principal: ReadScope,
    session: ReadSessionDep,
    from_: Annotated[UtcInstant, Query(alias="from", description="Period start, RFC 3339 with offset (inclusive)")],
    to: Annotated[UtcInstant, Query(description="Period end, RFC 3339 with offset (exclusive)")],
    tz: Annotated[storable_str(max_length=100) | None, Query(description="IANA time zone of the times shown (default UTC)")] = None,
    team_id: Annotated[storable_str(max_length=200) | None, Query(description="The team to compare with (default: the one the agent closed most in)")] = None,
) -> ScorecardRead:
    """Every KPI of the agent over ``[from, to)`` widened to 15 minutes, each beside the team's,
    the agent's previous period of the same length (with the change) and the agent's target."""
    card = await scorecard(session, agent_id=agent_id, start=from_, end=to, tz_name=tz, team_id=team_id or None)
    return ScorecardRead(
        agent_id=card.agent_id, team_id=card.team_id, team_source=card.team_source, tz=card.tz, from_=card.start, to=card.end,
        previous_from=card.previous_start, previous_to=card.previous_end,
        metrics=[
            ScorecardMetricRead(
                **{name: getattr(line, name) for name in ScorecardMetricRead.model_fields if name != "target"},
                target=TargetRead(**vars(line.target)) if line.target else None,
            )
            for line in card.metrics
        ],
    )


@router.post("/v1/appraisal-rules", status_code=201, response_model=AppraisalRuleRead)
async def create_appraisal_rule(body: AppraisalRuleCreate, _: AdminScope, session: SessionDep) -> AppraisalRuleRead:
    """An appraisal rule: weights over metrics (each scored 0-100 between its bounds in its
    direction), grade bands best first, the minimum sample, and the period (month or quarter) in a
    time zone. Rules never change: create a new one to appraise differently."""
    return await rules.create_rule(session, body, now=utcnow())


@router.get("/v1/appraisal-rules", response_model=AppraisalRulePage)
async def list_appraisal_rules(
    _: ReadScope, session: ReadSessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: CursorStr | None = None
) -> AppraisalRulePage:
    items, next_cursor = await rules.list_rules(session, limit=limit, cursor=cursor or None)
    return AppraisalRulePage(items=items, next_cursor=next_cursor)


@router.get("/v1/appraisal-rules/{rule_id}", response_model=AppraisalRuleRead, responses=NOT_FOUND)
async def get_appraisal_rule(rule_id: Annotated[storable_str(max_length=36), Path()], _: ReadScope, session: ReadSessionDep) -> AppraisalRuleRead:
    return await rules.get_rule(session, rule_id)


@router.post(
    "/v1/appraisals/run", response_model=RunRead, response_model_by_alias=True,
    responses={**NOT_FOUND, 409: {"description": "A concurrent run of the same rule and period"}},
)
async def run_appraisals(rule_id: RuleId, period: Period, _: AdminScope, session: SessionDep) -> RunRead:
    """Evaluate the rule per agent and per team over a period that has ended and keep the
    results; a subject whose kept result would change gets a new revision marked as a correction
    (with the differences), never a silent change."""
    summary = await appraisals.run_appraisal(session, rule_id=rule_id, period=period, now=utcnow())
    return RunRead(
        rule_id=summary.rule_id, period=summary.period, from_=summary.start, to=summary.end, computed_at=summary.computed_at,
        agents=summary.agents, teams=summary.teams, new=summary.new, corrected=summary.corrected, unchanged=summary.unchanged,
    )


def _result(row, original=None) -> ResultRead:
    return ResultRead(
        subject_type=row.subject_type, subject_id=row.subject_id, team_id=row.team_id, revision=row.revision,
        correction=row.revision > 1, differences=row.differences, sample=row.sample, eligible=row.eligible, total=row.total,
        grade=row.grade, coaching_suggested=row.coaching_suggested, service_star=row.service_star, inputs=row.inputs,
        computed_at=row.computed_at, original=_result(original) if original is not None else None,
    )


@router.get("/v1/appraisals", response_model=AppraisalList, response_model_by_alias=True, responses=NOT_FOUND)
async def list_appraisals(
    rule_id: RuleId,
    period: Period,
    _: ReadScope,
    session: ReadSessionDep,
    team_id: Annotated[storable_str(max_length=200) | None, Query(description="One team: the team and its agents")] = None,
    subject_type: Annotated[storable_str(max_length=10) | None, Query(description="agent or team")] = None,
) -> AppraisalList:
    """The kept results of a rule and period: the latest revision of each agent and team (teams
    first, then by total, best first), each correction with its differences and the original."""
    kept = await appraisals.list_results(session, rule_id=rule_id, period=period, team_id=team_id or None,
                                         subject_type=subject_type or None)
    return AppraisalList(
        rule_id=kept.rule_id, period=kept.period, from_=kept.start, to=kept.end,
        items=[_result(item.latest, item.original) for item in kept.items],
    )
