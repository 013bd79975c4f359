"""Domain errors of cycles and assignments (rendered as problem+json by csq_common)."""

from __future__ import annotations

from csq_common.errors import Conflict, NotFound


class CycleExists(Conflict):
    type = "https://csq.dev/problems/cycle-exists"
    title = "Cycle already run"

    def __init__(self, plan_id: str, period: str, cycle_id: str) -> None:
        super().__init__(f"plan {plan_id!r} already has the cycle {cycle_id!r} for the period starting {period}", cycle_id=cycle_id)


class CycleNotFound(NotFound):
    type = "https://csq.dev/problems/cycle-not-found"
    title = "Cycle not found"

    def __init__(self, cycle_id: str) -> None:
        super().__init__(f"no cycle with id {cycle_id!r}")


class AssignmentNotFound(NotFound):
    type = "https://csq.dev/problems/assignment-not-found"
    title = "Assignment not found"

    def __init__(self, assignment_id: str) -> None:
        super().__init__(f"no assignment with id {assignment_id!r}")


class AssignmentDone(Conflict):
    type = "https://csq.dev/problems/assignment-done"
    title = "Assignment already done"


class AssignmentUnassigned(Conflict):
    type = "https://csq.dev/problems/assignment-unassigned"
    title = "Assignment has no reviewer"
