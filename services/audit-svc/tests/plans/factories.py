"""Audit plan bodies for the plan, sampling and assignment tests."""

from __future__ import annotations

from typing import Any

from audit_svc.plans import service as plans
from audit_svc.plans.schemas import PlanCreate

WRITER = {"Authorization": "Bearer writer-key"}
READER = {"Authorization": "Bearer reader-key"}


def plan_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "账单组周度质检",
        "method": "internal",
        "scorecard_id": "SC-1",
        "scope": {"team_ids": ["billing"]},
        "schedule": {"frequency": "weekly", "timezone": "Asia/Shanghai"},
        "sampling": {"rate": "0.1", "min_per_agent": 0},
        "reviewers": [{"id": "Q-1", "team_id": "qa"}, {"id": "Q-2", "team_id": "qa"}],
    }
    body.update(overrides)
    return body


async def plan(session, **overrides: Any):
    return await plans.create_plan(session, PlanCreate.model_validate(plan_body(**overrides)), author="test")
