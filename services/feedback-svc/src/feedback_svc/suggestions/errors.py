from __future__ import annotations

from csq_common.errors import Conflict, NotFound, Unauthorized


class SuggestionNotFound(NotFound):
    type = "https://csq.dev/problems/suggestion-not-found"
    title = "Suggestion not found"

    def __init__(self, suggestion_id: str) -> None:
        super().__init__(f"no suggestion with id {suggestion_id!r}")


class FollowUpCodeUnknown(NotFound):
    type = "https://csq.dev/problems/follow-up-code-unknown"
    title = "Follow-up code unknown"

    def __init__(self) -> None:
        super().__init__("no suggestion has this follow-up code")


class SuggestionStepNotAllowed(Conflict):
    type = "https://csq.dev/problems/invalid-transition"
    title = "Invalid transition"

    def __init__(self, action: str, status: str, allowed_from: tuple[str, ...]) -> None:
        super().__init__(f"cannot {action} a suggestion that is {status!r} (only from {', '.join(allowed_from)})", state=status)


class NotAStaffKey(Unauthorized):
    def __init__(self) -> None:
        super().__init__("missing or unknown staff API key (Authorization: Bearer <staff key>)")
