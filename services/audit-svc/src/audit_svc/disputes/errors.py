from __future__ import annotations

from csq_common.errors import Conflict, Forbidden, NotFound


class DisputeNotFound(NotFound):
    type = "https://csq.dev/problems/dispute-not-found"
    title = "Dispute not found"

    def __init__(self, dispute_id: str) -> None:
        super().__init__(f"no dispute with id {dispute_id!r}")


class DisputeWindowClosed(Conflict):
    type = "https://csq.dev/problems/dispute-window-closed"
    title = "Dispute window closed"

    def __init__(self, review_id: str, days: int) -> None:
        super().__init__(f"review {review_id!r} was submitted more than {days} days ago and can no longer be disputed")


class NotDisputable(Conflict):
    type = "https://csq.dev/problems/not-disputable"
    title = "Review not disputable"


class DisputeAlreadyOpen(Conflict):
    type = "https://csq.dev/problems/dispute-already-open"
    title = "Dispute already open"

    def __init__(self, review_id: str, dispute_id: str) -> None:
        super().__init__(f"review {review_id!r} already has an open dispute ({dispute_id}); wait for its resolution")


class DisputeAlreadyResolved(Conflict):
    type = "https://csq.dev/problems/dispute-already-resolved"
    title = "Dispute already resolved"

    def __init__(self, dispute_id: str, status: str) -> None:
        super().__init__(f"dispute {dispute_id!r} was already resolved ({status})")


class NotTheAgent(Forbidden):
    type = "https://csq.dev/problems/not-the-agent"
    title = "Not the reviewed agent"

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"only the reviewed agent may dispute this review; {agent_id!r} is not")


class NotTheArbitrator(Forbidden):
    type = "https://csq.dev/problems/not-the-arbitrator"
    title = "Not the arbitrator"

    def __init__(self, arbitrator_id: str) -> None:
        super().__init__(f"only the dispute's arbitrator ({arbitrator_id!r}) may resolve it")
