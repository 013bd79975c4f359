from __future__ import annotations

from csq_common.errors import Conflict, Forbidden, NotFound


class CalibrationNotFound(NotFound):
    type = "https://csq.dev/problems/calibration-not-found"
    title = "Calibration session not found"

    def __init__(self, calibration_id: str) -> None:
        super().__init__(f"no calibration session with id {calibration_id!r}")


class CalibrationClosed(Conflict):
    type = "https://csq.dev/problems/calibration-closed"
    title = "Calibration session closed"

    def __init__(self, calibration_id: str) -> None:
        super().__init__(f"calibration session {calibration_id!r} is past its deadline or closed; it takes no more reviews")


class CalibrationOpen(Conflict):
    type = "https://csq.dev/problems/calibration-open"
    title = "Calibration session still open"

    def __init__(self, calibration_id: str, what: str) -> None:
        super().__init__(f"calibration session {calibration_id!r} is still open (blind until its deadline): {what}")


class AlreadyReviewed(Conflict):
    type = "https://csq.dev/problems/already-reviewed"
    title = "Already reviewed"

    def __init__(self, who: str, ticket_id: str) -> None:
        super().__init__(f"{who} already has a review of ticket {ticket_id!r} in this session")


class NotAParticipant(Forbidden):
    type = "https://csq.dev/problems/not-a-participant"
    title = "Not a participant"

    def __init__(self, reviewer_id: str) -> None:
        super().__init__(f"{reviewer_id!r} is neither a participant nor the expert of this calibration session")


class BenchmarkNotAgreed(Conflict):
    type = "https://csq.dev/problems/benchmark-not-agreed"
    title = "Benchmark is the expert's"

    def __init__(self, calibration_id: str) -> None:
        super().__init__(f"calibration session {calibration_id!r} benchmarks against its expert's reviews, not an agreed one")
