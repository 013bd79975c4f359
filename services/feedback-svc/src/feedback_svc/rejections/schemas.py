from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict


class FieldError(BaseModel):
    field: str
    message: str


class RejectionRead(BaseModel):
    """A vendor payload that could not be mapped: its raw body and the fields that failed."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    source: str
    created_at: AwareDatetime
    errors: list[FieldError]
    body: str


class RejectionPage(BaseModel):
    items: list[RejectionRead]
    next_cursor: str | None
