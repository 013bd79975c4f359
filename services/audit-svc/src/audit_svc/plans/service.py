"""Audit plans: create, read, change, pause. Nothing here commits.

A plan is checked as a whole on every change (``PlanCreate`` plus the rules between fields):
a preset fills the schedule's frequency and the sampling rate and refuses values that
contradict it; ``small_team_monthly`` is for a scope of at most 20 agents (named in the scope,
or else seen closing tickets of the scope's teams in the last 90 days); a peer plan names each
reviewer's team; reviewers are listed once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key, utcnow
from csq_common.errors import InvalidInput
from csq_common.http.problems import validation_errors
from csq_common.pagination import newest_first
from audit_svc.plans.errors import PlanNotFound
from audit_svc.plans.models import ACTIVE, PAUSED, AuditPlan
from audit_svc.plans.presets import PRESETS
from audit_svc.plans.schemas import PlanCreate, PlanPatch, rate_text
from audit_svc.tickets.models import ClosedTicket

AGENT_LOOKBACK = timedelta(days=90)


async def _resolved(session: AsyncSession, body: PlanCreate) -> dict[str, Any]:
    """The plan's stored columns from a valid body, or InvalidInput naming the field."""
    frequency, rate = body.schedule.frequency, body.sampling.rate
    if body.preset is not None:
        preset = PRESETS[body.preset]
        if frequency not in (None, preset.frequency):
            raise InvalidInput("schedule.frequency", f"preset {body.preset} samples {preset.frequency}; leave it out or set preset to null")
        if rate is not None and rate != preset.rate:
            raise InvalidInput("sampling.rate", f"preset {body.preset} samples {rate_text(preset.rate)}; leave it out or set preset to null")
        frequency, rate = preset.frequency, preset.rate
        if preset.max_agents is not None:
            agents = await _agents_in_scope(session, body)
            if agents > preset.max_agents:
                raise InvalidInput("preset", f"{body.preset} is for at most {preset.max_agents} agents; the scope has {agents}")
    if frequency is None:
        raise InvalidInput("schedule.frequency", "required without a preset (daily, weekly or monthly)")
    if rate is None:
        raise InvalidInput("sampling.rate", "required without a preset (0 to 1)")
    seen: dict[str, int] = {}
    for index, reviewer in enumerate(body.reviewers):
        if reviewer.id in seen:
            raise InvalidInput(f"reviewers[{index}].id", f"repeats reviewers[{seen[reviewer.id]}]")
        seen[reviewer.id] = index
        if body.method == "peer" and reviewer.team_id is None:
            raise InvalidInput(f"reviewers[{index}].team_id", "required for a peer plan (no team reviews its own tickets)")
    if body.arbitrator_id is not None and body.arbitrator_id in body.scope.agent_ids:
        raise InvalidInput("arbitrator_id", "is one of the plan's agents: nobody arbitrates disputes of their own reviews")
    sampling = body.sampling.model_dump(mode="json")
    sampling["rate"] = rate_text(Decimal(rate))
    return {
        "name": body.name,
        "method": body.method,
        "scorecard_id": body.scorecard_id,
        "scope": body.scope.model_dump(mode="json"),
        "frequency": frequency,
        "timezone": body.schedule.timezone,
        "preset": body.preset,
        "sampling": sampling,
        "reviewers": [reviewer.model_dump(mode="json") for reviewer in body.reviewers],
        "due_days": body.due_days,
        "arbitrator_id": body.arbitrator_id,
    }


async def _agents_in_scope(session: AsyncSession, body: PlanCreate) -> int:
    if body.scope.agent_ids:
        return len(set(body.scope.agent_ids))
    statement = select(func.count(func.distinct(ClosedTicket.agent_id))).where(
        ClosedTicket.closed_at >= utcnow() - AGENT_LOOKBACK, ClosedTicket.agent_id.is_not(None)
    )
    if body.scope.team_ids:
        statement = statement.where(ClosedTicket.team_id.in_(body.scope.team_ids))
    if body.scope.channels:
        statement = statement.where(ClosedTicket.channel.in_(body.scope.channels))
    return int(await session.scalar(statement))


async def create_plan(session: AsyncSession, body: PlanCreate, *, author: str) -> AuditPlan:
    now = utcnow()
    plan = AuditPlan(id=str(uuid.uuid4()), status=ACTIVE, created_by=author, created_at=now, updated_at=now, **await _resolved(session, body))
    session.add(plan)
    await session.flush()
    return plan


def _as_body(plan: AuditPlan, *, keep_preset_values: bool) -> dict[str, Any]:
    """The plan as the body that would create it: a preset's values are left to the preset,
    unless ``keep_preset_values`` (the preset is being removed, its values stay)."""
    sampling = dict(plan.sampling)
    schedule = {"frequency": plan.frequency, "timezone": plan.timezone}
    if plan.preset is not None and not keep_preset_values:
        sampling["rate"] = None
        schedule["frequency"] = None
    return {
        "name": plan.name, "method": plan.method, "scorecard_id": plan.scorecard_id, "scope": plan.scope,
        "schedule": schedule, "preset": plan.preset, "sampling": sampling, "reviewers": plan.reviewers, "due_days": plan.due_days,
        "arbitrator_id": plan.arbitrator_id,
    }


async def update_plan(session: AsyncSession, plan_id: str, patch: PlanPatch) -> AuditPlan:
    plan = await _locked(session, plan_id)
    changes = patch.model_dump(exclude_unset=True, mode="json")
    nulls = [{"field": name, "message": "must not be null"} for name, value in changes.items() if value is None and name not in ("preset", "arbitrator_id")]
    if nulls:
        raise InvalidInput(errors=nulls)
    status = changes.pop("status", None)
    if changes:
        removes_preset = "preset" in changes and changes["preset"] is None
        merged = {**_as_body(plan, keep_preset_values=removes_preset), **changes}
        try:
            body = PlanCreate.model_validate(merged)
        except ValidationError as exc:
            raise InvalidInput(errors=validation_errors(exc.errors())) from None
        for name, value in (await _resolved(session, body)).items():
            setattr(plan, name, value)
    if status is not None:
        plan.status = status
    plan.updated_at = utcnow()
    await session.flush()
    return plan


async def set_status(session: AsyncSession, plan_id: str, status: str) -> AuditPlan:
    """Pause (no new cycles) or resume a plan; cycles already run and their assignments stay."""
    plan = await _locked(session, plan_id)
    if plan.status != status:
        plan.status = status
        plan.updated_at = utcnow()
        await session.flush()
    return plan


async def pause_plan(session: AsyncSession, plan_id: str) -> AuditPlan:
    return await set_status(session, plan_id, PAUSED)


async def resume_plan(session: AsyncSession, plan_id: str) -> AuditPlan:
    return await set_status(session, plan_id, ACTIVE)


# ---- reads ------------------------------------------------------------------------------


async def get_plan(session: AsyncSession, plan_id: str) -> AuditPlan:
    plan = await session.get(AuditPlan, plan_id) if could_be_key(plan_id, 36) else None
    if plan is None:
        raise PlanNotFound(plan_id)
    return plan


async def _locked(session: AsyncSession, plan_id: str) -> AuditPlan:
    plan = None
    if could_be_key(plan_id, 36):
        plan = (await session.execute(select(AuditPlan).where(AuditPlan.id == plan_id).with_for_update())).scalar_one_or_none()
    if plan is None:
        raise PlanNotFound(plan_id)
    return plan


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


async def list_plans(session: AsyncSession, *, limit: int, cursor: str | None = None, status: str | None = None, method: str | None = None) -> Page:
    """Newest first, ``limit`` at a time; ``next_cursor`` is None on the last page."""
    statement = select(AuditPlan)
    if status is not None:
        statement = statement.where(AuditPlan.status == status)
    if method is not None:
        statement = statement.where(AuditPlan.method == method)
    items, next_cursor = await newest_first(session, statement, AuditPlan, limit=limit, cursor=cursor)
    return Page(items=[plan_read(item) for item in items], next_cursor=next_cursor)


def plan_read(plan: AuditPlan) -> dict[str, Any]:
    """The plan as PlanRead serialises it."""
    return {
        "id": plan.id, "name": plan.name, "status": plan.status, "method": plan.method, "scorecard_id": plan.scorecard_id,
        "scope": plan.scope, "schedule": {"frequency": plan.frequency, "timezone": plan.timezone}, "preset": plan.preset,
        "sampling": {**plan.sampling, "rate": Decimal(plan.sampling["rate"])}, "reviewers": plan.reviewers,
        "due_days": plan.due_days, "arbitrator_id": plan.arbitrator_id, "created_by": plan.created_by, "created_at": plan.created_at, "updated_at": plan.updated_at,
    }
