from __future__ import annotations

from pydantic import BaseModel


class ConnectorAccepted(BaseModel):
    """A vendor delivery applied (202) or recognised as a retry of one already applied (200)."""

    accepted: bool = True
    duplicate: bool
    source: str
    delivery_id: str
    ticket_id: str
    events: list[str]  # the ticket events this delivery published, in order
