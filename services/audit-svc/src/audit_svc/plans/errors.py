"""Domain errors of audit plans (rendered as problem+json by csq_common)."""

from __future__ import annotations

from csq_common.errors import NotFound


class PlanNotFound(NotFound):
    type = "https://csq.dev/problems/audit-plan-not-found"
    title = "Audit plan not found"

    def __init__(self, plan_id: str) -> None:
        super().__init__(f"no audit plan with id {plan_id!r}")
