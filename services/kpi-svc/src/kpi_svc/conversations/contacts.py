"""Repeat contacts: which closures' customers had another ticket created within 7 days before.

Every ticket event carries the ticket's creation time and its customer id, so each batch records
``(customer, ticket, created_at)`` of the tickets it sees (the customer as the SHA-256 of the
CRM's id, so kpi-svc's tables hold no customer identifier) (first sighting wins; one statement) and
then asks, per new closure of the batch, whether its customer has another ticket created in the 7
days before it (one indexed probe each, all in one statement). A closure is a repeat contact
when another ticket of the same customer was created in ``[closed_at − 7 days, closed_at)``.
The answer is fixed when the closure is counted: a ticket whose events reach kpi-svc only after
that closure does not change it.
``customer.erased`` deletes the customer's rows (the counted KPIs stay as they were).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from csq_common.sql import claim_new, positions_with_row_in_range
from kpi_svc.conversations.models import CustomerTicket

REPEAT_WINDOW = timedelta(days=7)
_COLUMNS = ("customer_hash", "ticket_id", "created_at", "recorded_at")
#: Customers per delete statement (bind parameters stay well under SQLite's limit).
_CHUNK = 500


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is timezone.utc else moment.astimezone(timezone.utc)


def customer_hash(customer_id: str) -> str:
    """How kpi_customer_tickets names a customer: the SHA-256 (hex) of the CRM's customer id."""
    return hashlib.sha256(customer_id.encode()).hexdigest()


def customer_of(ticket) -> str | None:
    """The hash of the snapshot's customer id (None without one)."""
    customer = ticket.customer
    return customer_hash(customer.id) if customer is not None and customer.id else None


async def record_tickets(session: AsyncSession, tickets: Iterable) -> None:
    """Remember the customer and creation time of each ticket snapshot (those with a customer id)."""
    seen: dict[tuple[str, str], tuple] = {}
    now = utcnow()
    for ticket in tickets:
        customer = customer_of(ticket)
        if customer is not None and (customer, ticket.id) not in seen:
            seen[(customer, ticket.id)] = (customer, ticket.id, _utc(ticket.created_at), now)
    if seen:
        await claim_new(session, CustomerTicket.__table__, _COLUMNS, [seen[key] for key in sorted(seen)])


async def repeat_closures(session: AsyncSession, closures: Sequence[tuple[str, str, datetime]]) -> set[tuple[str, datetime]]:
    """Of ``closures`` ``(customer hash, ticket id, closed_at)``, the ``(ticket id, closed_at)`` whose
    customer had another ticket created within REPEAT_WINDOW before ``closed_at``: one indexed
    probe per closure (``(customer_hash, created_at)``), so the cost does not grow with how many
    tickets a customer has."""
    probes = [(customer, ticket_id, closed_at - REPEAT_WINDOW, closed_at) for customer, ticket_id, closed_at in closures]
    found = await positions_with_row_in_range(
        session, CustomerTicket.__table__, equal=("customer_hash",), unequal=("ticket_id",), between="created_at", probes=probes
    )
    return {(closures[index][1], closures[index][2]) for index in found}


async def erase_customers(session: AsyncSession, customer_ids: Iterable[str]) -> None:
    """Forget the tickets of erased customers (``customer.erased``, the CRM's ids)."""
    hashes = sorted({customer_hash(customer_id) for customer_id in customer_ids})
    table = CustomerTicket.__table__
    for index in range(0, len(hashes), _CHUNK):
        await session.execute(delete(table).where(table.c.customer_hash.in_(hashes[index : index + _CHUNK])))
