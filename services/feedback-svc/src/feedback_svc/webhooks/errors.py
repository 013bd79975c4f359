"""Domain errors of the webhook intake, rendered as problem+json by csq_common.http.problems."""

from __future__ import annotations

from csq_common.errors import CsqError, InvalidInput, Unauthorized


class SignatureMismatch(Unauthorized):
    """Missing, garbled, stale or wrong signature headers: the webhook is not authenticated."""

    type = "https://csq.dev/problems/signature-mismatch"
    title = "Signature mismatch"


class PayloadTooLarge(CsqError):
    status_code = 413
    type = "https://csq.dev/problems/payload-too-large"
    title = "Payload too large"


class InvalidPayload(InvalidInput):
    """A body that is not JSON or breaks the schema: every error names its field."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors=errors or [{"field": "body", "message": "invalid body"}])
