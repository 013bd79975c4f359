"""What can stop an answer: the link's state (404/409/410), a forged form (403)."""

from __future__ import annotations

from csq_common.errors import Conflict, CsqError, Forbidden, NotFound


class SurveyLinkNotFound(NotFound):
    """Unknown token, or an invitation not (yet / any more) open: scheduled or cancelled.

    The same message for all of them, naming nothing, so a caller learns nothing about other
    tokens."""

    type = "https://csq.dev/problems/survey-link-not-found"
    title = "Survey link not found"

    def __init__(self) -> None:
        super().__init__("this survey link is not valid")


class InvitationNotFound(NotFound):
    """The internal API's 404 (an API key holder may learn whether an id exists)."""

    type = "https://csq.dev/problems/invitation-not-found"
    title = "Invitation not found"

    def __init__(self, invitation_id: str) -> None:
        super().__init__(f"no invitation with id {invitation_id!r}")


class InvitationNotOpen(Conflict):
    """The internal API: the invitation exists but was never sent or was cancelled."""

    type = "https://csq.dev/problems/invitation-not-open"
    title = "Invitation not open"

    def __init__(self, status: str) -> None:
        super().__init__(f"the invitation is {status} and cannot be answered")


class AlreadyAnswered(Conflict):
    type = "https://csq.dev/problems/already-answered"
    title = "Already answered"

    def __init__(self) -> None:
        super().__init__("this survey has already been answered")


class Gone(CsqError):
    status_code = 410
    type = "https://csq.dev/problems/gone"
    title = "Gone"


class SurveyLinkExpired(Gone):
    """Expired (or its survey retired): answers are no longer accepted."""

    type = "https://csq.dev/problems/survey-link-expired"
    title = "Survey link expired"

    def __init__(self) -> None:
        super().__init__("this survey link has expired")


class FormRejected(Forbidden):
    """The answer page's form lacks a valid anti-forgery field (CSRF)."""

    type = "https://csq.dev/problems/form-rejected"
    title = "Form rejected"

    def __init__(self) -> None:
        super().__init__("the form could not be verified; reload the page and answer again")
