"""Domain errors of findings, corrective actions and coaching (problem+json by csq_common)."""

from __future__ import annotations

from csq_common.errors import Conflict, NotFound


class FindingNotFound(NotFound):
    type = "https://csq.dev/problems/finding-not-found"
    title = "Finding not found"

    def __init__(self, finding_id: str) -> None:
        super().__init__(f"no finding with id {finding_id!r}")


class ActionNotFound(NotFound):
    type = "https://csq.dev/problems/action-not-found"
    title = "Corrective action not found"

    def __init__(self, action_id: str) -> None:
        super().__init__(f"no corrective action with id {action_id!r}")


class CoachingNotFound(NotFound):
    type = "https://csq.dev/problems/coaching-not-found"
    title = "Coaching item not found"

    def __init__(self, item_id: str) -> None:
        super().__init__(f"no coaching item with id {item_id!r}")


class FindingClosed(Conflict):
    type = "https://csq.dev/problems/finding-closed"
    title = "Finding closed"


class ActionOpen(Conflict):
    """The finding still has corrective actions that are not verified."""

    type = "https://csq.dev/problems/actions-open"
    title = "Corrective actions still open"


class ActionState(Conflict):
    """The action is not in the state the step needs (evidence before verification, …)."""

    type = "https://csq.dev/problems/action-state"
    title = "Corrective action not in that state"


class CoachingState(Conflict):
    type = "https://csq.dev/problems/coaching-state"
    title = "Coaching item not in that state"
