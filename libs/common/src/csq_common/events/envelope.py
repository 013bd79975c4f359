"""The CloudEvents 1.0 envelope (structured JSON mode), the base of every payload model, and
:func:`make_event`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any, ClassVar, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator


SPEC_VERSION = "1.0"


class EventData(BaseModel):
    """Base of every event payload: versioned, tolerant of unknown fields."""

    model_config = ConfigDict(extra="ignore")
    event_type: ClassVar[str]
    domain: ClassVar[str]  # topic suffix: tickets, calls, feedback, surveys, audits, kpi, notify
    schema_version: int = 1


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = SPEC_VERSION
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    time: AwareDatetime
    subject: str | None = None
    datacontenttype: str = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(timezone.utc)

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_bytes(cls, raw: bytes) -> "CloudEvent":
        return cls.model_validate_json(raw)


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    """A CloudEvent already encoded (``payload`` is what ``CloudEvent.to_bytes`` would give), for
    producers that build many events from already-valid values; the outbox takes either."""

    id: str
    payload: bytes

    def to_bytes(self) -> bytes:
        return self.payload


def make_event(
    data: EventData, *, source: str, subject: str, time: datetime, event_id: str | None = None
) -> CloudEvent:
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=data.event_type,
        time=time,
        subject=subject,
        data=data.model_dump(mode="json"),
    )




#: An id as events carry it (ticket, agent, team, review …).
Id = Annotated[str, StringConstraints(min_length=1, max_length=200)]
