"""Corrective actions on a finding: plan (create, change), do (evidence), check (verification by
someone other than the owner, with an optional KPI before and after). Nothing here commits.

An action found ineffective goes back to open with its verification kept, for a new plan and
due date. A new due date can be overdue again, and is reported again (see findings/overdue.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key
from csq_common.errors import InvalidInput
from audit_svc.findings.errors import ActionNotFound, ActionState
from audit_svc.findings.models import ACTION_DONE, ACTION_OPEN, ACTION_VERIFIED, CorrectiveAction
from audit_svc.findings.schemas import ActionCreate, ActionPatch, Evidence, Verification
from audit_svc.findings.service import ensure_open, locked_finding


async def create_action(session: AsyncSession, finding_id: str, body: ActionCreate, *, now: datetime) -> CorrectiveAction:
    finding = await locked_finding(session, finding_id)
    ensure_open(finding)
    action = CorrectiveAction(
        id=str(uuid.uuid4()), finding_id=finding.id, owner_id=body.owner_id, plan=body.plan, due_at=body.due_at,
        status=ACTION_OPEN, created_at=now, updated_at=now,
    )
    session.add(action)
    await session.flush()
    return action


async def _locked(session: AsyncSession, action_id: str) -> CorrectiveAction:
    action = None
    if could_be_key(action_id, 36):
        statement = select(CorrectiveAction).where(CorrectiveAction.id == action_id).with_for_update()
        action = (await session.execute(statement)).scalar_one_or_none()
    if action is None:
        raise ActionNotFound(action_id)
    return action


async def get_action(session: AsyncSession, action_id: str) -> CorrectiveAction:
    action = await session.get(CorrectiveAction, action_id) if could_be_key(action_id, 36) else None
    if action is None:
        raise ActionNotFound(action_id)
    return action


async def update_action(session: AsyncSession, action_id: str, patch: ActionPatch, *, now: datetime) -> CorrectiveAction:
    """Change the owner, plan or due date of an action not verified yet."""
    action = await _locked(session, action_id)
    if action.status == ACTION_VERIFIED:
        raise ActionState(f"action {action_id!r} is verified and can no longer change")
    changes = patch.model_dump(exclude_unset=True)
    nulls = [{"field": name, "message": "must not be null"} for name, value in changes.items() if value is None]
    if nulls:
        raise InvalidInput(errors=nulls)
    for name, value in changes.items():
        setattr(action, name, value)
    action.updated_at = now
    await session.flush()
    return action


async def record_evidence(session: AsyncSession, action_id: str, body: Evidence, *, now: datetime) -> CorrectiveAction:
    action = await _locked(session, action_id)
    if action.status == ACTION_VERIFIED:
        raise ActionState(f"action {action_id!r} is verified already")
    action.evidence, action.status, action.done_at, action.updated_at = body.evidence, ACTION_DONE, now, now
    await session.flush()
    return action


async def verify(session: AsyncSession, action_id: str, body: Verification, *, now: datetime) -> CorrectiveAction:
    action = await _locked(session, action_id)
    if body.verifier_id == action.owner_id:
        raise InvalidInput("verifier_id", "is the action's owner: someone else verifies what the owner did")
    if action.status != ACTION_DONE:
        raise ActionState(f"action {action_id!r} is {action.status}: evidence comes before verification")
    if body.kpi is not None and body.kpi.after.from_ < body.kpi.before.to:
        raise InvalidInput("kpi.after.from", "the window after must start when the window before ends or later")
    action.verifier_id, action.verified_at, action.effective = body.verifier_id, now, body.effective
    action.verification_note = body.note
    action.kpi = body.kpi.model_dump(mode="json", by_alias=True) if body.kpi is not None else None
    action.status = ACTION_VERIFIED if body.effective else ACTION_OPEN
    action.updated_at = now
    await session.flush()
    return action
