from __future__ import annotations

from csq_common.errors import Conflict, NotFound


class TicketNotFound(NotFound):
    type = "https://csq.dev/problems/ticket-not-found"
    title = "Ticket not found"

    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"no ticket with id {ticket_id!r} has been reported")


class TicketChangedConcurrently(Conflict):
    """A concurrent delivery created the ticket and then vanished: the CRM should retry."""
