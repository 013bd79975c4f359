"""A call detail record as a call-centre system sends it (DESIGN.md ``call.completed``), its
answer, and the records as ``GET /v1/calls`` lists them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from csq_common.errors import InvalidInput
from csq_common.http.problems import validation_errors
from csq_common.types import IdStr, UtcInstant, storable_str

EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)
#: No call lasts, waits or holds longer than a year.
MAX_SECONDS = 366 * 24 * 3600

Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS)]


class CallCompletedIn(BaseModel):
    """One call, reported once when it ends. ``answered_at`` null: the caller abandoned (then
    ``agent_id`` is null too); ``wait_seconds`` the time in queue, ``talk_seconds`` and
    ``hold_seconds`` the time with an agent."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    call_id: IdStr
    direction: Literal["inbound", "outbound"]
    queue: IdStr
    team_id: IdStr | None = None
    agent_id: IdStr | None = None
    offered_at: UtcInstant
    answered_at: UtcInstant | None = None
    ended_at: UtcInstant
    wait_seconds: Seconds
    talk_seconds: Seconds
    hold_seconds: Seconds
    ticket_id: IdStr | None = None
    customer_id: storable_str(min_length=1, max_length=200) | None = None


def parse(raw: bytes) -> CallCompletedIn:
    """Validate the raw body (the signature covers these bytes); every 422 names its field."""
    try:
        record = CallCompletedIn.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidInput(errors=validation_errors(exc.errors()) or [{"field": "body", "message": "invalid body"}]) from None
    errors = rule_errors(record)
    if errors:
        raise InvalidInput(errors=errors)
    return record


def rule_errors(record: CallCompletedIn) -> list[dict[str, str]]:
    """What the schema cannot say: the order of the call's moments and their bounds."""
    errors: list[dict[str, str]] = []

    def error(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    for field in ("offered_at", "answered_at", "ended_at"):
        value = getattr(record, field)
        if value is not None and not EARLIEST <= value < LATEST:
            error(field, f"must lie between {EARLIEST.year} and {LATEST.year}")
    if record.answered_at is not None and record.answered_at < record.offered_at:
        error("answered_at", "must not precede offered_at")
    if record.answered_at is not None and record.answered_at > record.ended_at:
        error("answered_at", "must not follow ended_at")
    if record.ended_at < record.offered_at:
        error("ended_at", "must not precede offered_at")
    if record.answered_at is None and record.agent_id is not None:
        error("agent_id", "must be null for a call that was not answered (answered_at null)")
    return errors


class CallAccepted(BaseModel):
    accepted: bool = True
    duplicate: bool
    call_id: str


class CallRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    call_id: str
    direction: Literal["inbound", "outbound"]
    queue: str
    team_id: str | None
    agent_id: str | None
    offered_at: AwareDatetime
    answered_at: AwareDatetime | None
    ended_at: AwareDatetime
    wait_seconds: float
    talk_seconds: float
    hold_seconds: float
    ticket_id: str | None
    customer_id: str | None
    received_at: AwareDatetime


class CallPage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    items: list[CallRead]
    next_cursor: str | None
