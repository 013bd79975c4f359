"""Bodies and answers of the handling workflow and the customer's confirmation page."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator

from csq_common.types import IdStr, storable_str


class Triage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team_id: IdStr
    assignee_id: IdStr


class Reply(BaseModel):
    """The answer to the customer, sent by email through notify-svc with the confirmation link."""

    model_config = ConfigDict(extra="forbid")
    text: storable_str(min_length=1, max_length=10_000)
    agent_id: IdStr | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class CustomerAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolved: bool
    comment: storable_str(max_length=2000) | None = None


class ConfirmationPage(BaseModel):
    """What the customer sees behind the link: their item's state and the reply, nothing else."""

    status: str
    kind: str
    category: str
    language: str
    replied_at: AwareDatetime | None
    reply_text: str | None
    resolved_at: AwareDatetime | None
    expires_at: AwareDatetime
