from __future__ import annotations

from csq_common.errors import Forbidden, NotFound


class ReviewNotFound(NotFound):
    type = "https://csq.dev/problems/review-not-found"
    title = "Review not found"

    def __init__(self, review_id: str) -> None:
        super().__init__(f"no review with id {review_id!r}")


class CalibrationStillBlind(Forbidden):
    type = "https://csq.dev/problems/calibration-blind"
    title = "Calibration still blind"

    def __init__(self, calibration_id: str) -> None:
        super().__init__(f"reviews of calibration session {calibration_id!r} stay blind until its deadline; read them there")
