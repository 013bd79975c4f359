"""``ticket.message_added`` and ``customer.erased`` as the consumer receives them."""

from __future__ import annotations

from datetime import datetime

from csq_common.events import CloudEvent, CustomerErased, TicketMessageAdded, make_event


def message(
    ticket_id: str, message_id: str, *, sent_at: datetime, text: str, author_role: str = "customer",
    author_id: str | None = None, public: bool = True, language: str | None = "zh-CN",
) -> CloudEvent:
    data = TicketMessageAdded(
        ticket_id=ticket_id, message_id=message_id, author_role=author_role, author_id=author_id, public=public,
        sent_at=sent_at, channel="email", text=text, language=language,
    )
    return make_event(data, source="test", subject=ticket_id, time=sent_at)


def erased(customer_id: str, *, at: datetime) -> CloudEvent:
    return make_event(CustomerErased(customer_id=customer_id, requested_at=at), source="test", subject=customer_id, time=at)
