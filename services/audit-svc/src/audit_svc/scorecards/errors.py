from __future__ import annotations

from csq_common.errors import Conflict, NotFound


class ScorecardNotFound(NotFound):
    type = "https://csq.dev/problems/scorecard-not-found"
    title = "Scorecard not found"

    def __init__(self, scorecard_id: str) -> None:
        super().__init__(f"no scorecard with id {scorecard_id!r}")


class ScorecardVersionNotFound(NotFound):
    type = "https://csq.dev/problems/scorecard-version-not-found"
    title = "Scorecard version not found"

    def __init__(self, scorecard_id: str, version: int | None) -> None:
        what = f"version {version}" if version is not None else "published version"
        super().__init__(f"scorecard {scorecard_id!r} has no {what}")


class NoApplicableScorecard(NotFound):
    type = "https://csq.dev/problems/no-applicable-scorecard"
    title = "No applicable scorecard"

    def __init__(self) -> None:
        super().__init__("no published, active scorecard's selection rule matches this channel, team and tags")


class ScorecardRetired(Conflict):
    type = "https://csq.dev/problems/scorecard-retired"
    title = "Scorecard retired"

    def __init__(self, scorecard_id: str, action: str) -> None:
        super().__init__(f"scorecard {scorecard_id!r} is retired and cannot be {action}")


class NothingToPublish(Conflict):
    type = "https://csq.dev/problems/nothing-to-publish"
    title = "Nothing to publish"

    def __init__(self, scorecard_id: str, version: int) -> None:
        super().__init__(f"scorecard {scorecard_id!r} has no draft: version {version} is already published")
