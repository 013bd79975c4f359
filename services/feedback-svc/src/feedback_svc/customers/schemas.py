from __future__ import annotations

from pydantic import AwareDatetime, BaseModel


class ErasureAccepted(BaseModel):
    """The customer's identity is gone from feedback-svc; ``customer.erased`` is on its way to the
    other services, which remove or anonymise what they hold."""

    customer_id: str
    requested_at: AwareDatetime
    tickets_anonymised: int
    messages_blanked: int
    event_id: str
