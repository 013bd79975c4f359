"""Domain errors of the webhook intake, rendered as problem+json by csq_common.http.problems."""

from __future__ import annotations

from csq_common.errors import CsqError, InvalidInput, Unauthorized


class SignatureMismatch(Unauthorized):
    """Missing, garbled, stale or wrong signature headers: the webhook is not authenticated."""

    type = "https://csq.dev/problems/signature-mismatch"
    title = "Signature mismatch"


class InvalidPayload(InvalidInput):
    """A body that is not JSON or breaks the schema: every error names its field."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors=errors or [{"field": "body", "message": "invalid body"}])


class IntakeBusy(CsqError):
    """The webhook queue is full (or the service is stopping): the CRM should retry later."""

    status_code = 503
    type = "https://csq.dev/problems/intake-busy"
    title = "Service busy"
    retry_after_seconds = 1


class EventNotStored(CsqError):
    """The event's transaction failed in its batch, on the retry and again on its own: nothing
    of it was stored or accepted, and the CRM should retry (the cause is in the service log)."""

    status_code = 500
    type = "https://csq.dev/problems/event-not-stored"
    title = "Event not stored"
