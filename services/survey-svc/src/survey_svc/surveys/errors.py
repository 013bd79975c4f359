from __future__ import annotations

from csq_common.errors import Conflict, NotFound


class SurveyNotFound(NotFound):
    type = "https://csq.dev/problems/survey-not-found"
    title = "Survey not found"

    def __init__(self, survey_id: str) -> None:
        super().__init__(f"no survey with id {survey_id!r}")


class SurveyVersionNotFound(NotFound):
    type = "https://csq.dev/problems/survey-version-not-found"
    title = "Survey version not found"

    def __init__(self, survey_id: str, version: int) -> None:
        super().__init__(f"survey {survey_id!r} has no published version {version}")


class SurveyRetired(Conflict):
    type = "https://csq.dev/problems/survey-retired"
    title = "Survey retired"

    def __init__(self, survey_id: str, action: str) -> None:
        super().__init__(f"survey {survey_id!r} is retired and cannot be {action}")
