"""Corrective actions of the findings the report's filters select (team, agent, plan), as they
stand when the report is asked for: open ones, those of them past due (as the overdue worker
counts them: due at or before now), and those done and waiting for verification."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from audit_svc.findings.models import ACTION_DONE, ACTION_OPEN, CorrectiveAction, Finding
from audit_svc.reports.filters import ReportFilters


async def action_figures(session: AsyncSession, filters: ReportFilters, *, now: datetime) -> dict[str, Any]:
    statement = (
        select(CorrectiveAction.owner_id, CorrectiveAction.status, CorrectiveAction.due_at)
        .join(Finding, Finding.id == CorrectiveAction.finding_id)
        .where(CorrectiveAction.status.in_([ACTION_OPEN, ACTION_DONE]))
    )
    for column, value in ((Finding.team_id, filters.team_id), (Finding.agent_id, filters.agent_id), (Finding.plan_id, filters.plan_id)):
        if value is not None:
            statement = statement.where(column == value)
    owners: dict[str, dict[str, int]] = defaultdict(lambda: {"open": 0, "overdue": 0, "awaiting_verification": 0})
    for action in (await session.execute(statement)).all():
        counts = owners[action.owner_id]
        if action.status == ACTION_DONE:
            counts["awaiting_verification"] += 1
            continue
        counts["open"] += 1
        counts["overdue"] += action.due_at <= now
    totals = {name: sum(counts[name] for counts in owners.values()) for name in ("open", "overdue", "awaiting_verification")}
    return {"as_of": now, **totals, "by_owner": [{"owner_id": owner, **counts} for owner, counts in sorted(owners.items())]}
