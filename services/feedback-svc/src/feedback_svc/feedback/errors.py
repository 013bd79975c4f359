from __future__ import annotations

from csq_common.errors import Conflict, NotFound


class FeedbackNotFound(NotFound):
    type = "https://csq.dev/problems/feedback-not-found"
    title = "Feedback item not found"

    def __init__(self, feedback_id: str) -> None:
        super().__init__(f"no feedback item with id {feedback_id!r}")


class InvalidTransition(Conflict):
    """The item's state does not allow this step: the answer names the state."""

    type = "https://csq.dev/problems/invalid-transition"
    title = "Invalid transition"

    def __init__(self, action: str, status: str, allowed_from: tuple[str, ...]) -> None:
        super().__init__(
            f"cannot {action} a feedback item that is {status!r} (only from {', '.join(allowed_from)})",
            state=status,
        )


class ConfirmationLinkUnknown(NotFound):
    type = "https://csq.dev/problems/confirmation-link-unknown"
    title = "Confirmation link unknown or used"

    def __init__(self) -> None:
        super().__init__("this confirmation link is unknown, expired or already used")
