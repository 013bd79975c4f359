"""Appraisal rules: created (checked here) and read, never changed — a kept result always
stands for the rule it names. Metrics come from ``read.service.METRICS``."""

from __future__ import annotations

import uuid
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput, NotFound
from csq_common.pagination import newest_first
from kpi_svc.people import periods, scoring
from kpi_svc.people.models import AppraisalRule
from kpi_svc.people.schemas import AppraisalRuleCreate, AppraisalRuleRead, BandRead, WeightRead
from kpi_svc.people.scorecard import direction_of
from kpi_svc.read import zones
from kpi_svc.read.service import METRICS


class RuleNotFound(NotFound):
    def __init__(self, rule_id: str) -> None:
        super().__init__(f"no appraisal rule {rule_id!r}")


def _check(body: AppraisalRuleCreate) -> None:
    if body.period not in periods.PERIODS:
        raise InvalidInput("period", f"must be one of {', '.join(periods.PERIODS)}")
    zones.zone(body.tz)
    if body.sample_metric not in METRICS:
        raise InvalidInput("sample_metric", f"must be one of {', '.join(METRICS)}")
    seen = set()
    for index, weight in enumerate(body.weights):
        if weight.metric not in METRICS:
            raise InvalidInput(f"weights[{index}].metric", f"must be one of {', '.join(METRICS)}")
        if weight.metric in seen:
            raise InvalidInput(f"weights[{index}].metric", "appears twice")
        seen.add(weight.metric)
        if weight.upper <= weight.lower:
            raise InvalidInput(f"weights[{index}].upper", "must be greater than lower")
        if weight.direction is not None and weight.direction not in scoring.DIRECTIONS:
            raise InvalidInput(f"weights[{index}].direction", f"must be one of {', '.join(scoring.DIRECTIONS)}")
    grades = [band.grade for band in body.grades]
    if len(set(grades)) != len(grades):
        raise InvalidInput("grades", "each grade may appear once")
    for index, (better, worse) in enumerate(zip(body.grades, body.grades[1:]), 1):
        if worse.min_score >= better.min_score:
            raise InvalidInput(f"grades[{index}].min_score", "must be below the previous band's (bands are best first)")
    if body.grades[-1].min_score != 0:
        raise InvalidInput(f"grades[{len(body.grades) - 1}].min_score", "the last band must start at 0 so every score has a grade")


def read_model(row: AppraisalRule) -> AppraisalRuleRead:
    return AppraisalRuleRead(
        id=row.id, name=row.name, period=row.period, tz=row.tz, min_sample=row.min_sample, sample_metric=row.sample_metric,
        weights=[WeightRead(metric=w["metric"], weight=float(Fraction(w["weight"])), lower=float(Fraction(w["lower"])),
                            upper=float(Fraction(w["upper"])), direction=w["direction"]) for w in row.weights],
        grades=[BandRead(grade=b["grade"], min_score=float(Fraction(b["min_score"]))) for b in row.grades],
        created_at=row.created_at,
    )


def rule_of(row: AppraisalRule) -> scoring.Rule:
    return scoring.Rule(
        tuple(scoring.Weight.of(w) for w in row.weights), tuple(scoring.Band.of(b) for b in row.grades), row.min_sample,
        row.sample_metric,
    )


async def create_rule(session: AsyncSession, body: AppraisalRuleCreate, *, now: datetime) -> AppraisalRuleRead:
    _check(body)
    row = AppraisalRule(
        id=str(uuid.uuid4()), name=body.name, period=body.period, tz=body.tz, min_sample=body.min_sample,
        sample_metric=body.sample_metric,
        # numbers kept as decimal text: the scores are computed exactly from them
        weights=[{"metric": w.metric, "weight": str(w.weight), "lower": str(w.lower), "upper": str(w.upper),
                  "direction": w.direction or direction_of(w.metric)} for w in body.weights],
        grades=[{"grade": b.grade, "min_score": str(b.min_score)} for b in body.grades],
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return read_model(row)


async def load_rule(session: AsyncSession, rule_id: str) -> AppraisalRule:
    row = await session.get(AppraisalRule, rule_id)
    if row is None:
        raise RuleNotFound(rule_id)
    return row


async def get_rule(session: AsyncSession, rule_id: str) -> AppraisalRuleRead:
    return read_model(await load_rule(session, rule_id))


async def list_rules(session: AsyncSession, *, limit: int, cursor: str | None) -> tuple[list[AppraisalRuleRead], str | None]:
    rows, next_cursor = await newest_first(session, select(AppraisalRule), AppraisalRule, limit=limit, cursor=cursor)
    return [read_model(row) for row in rows], next_cursor
