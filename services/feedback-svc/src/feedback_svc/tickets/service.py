"""Ticket state as last reported by the CRM, and the ticket events each report publishes.

``report`` is what every intake path (the generic webhook, vendor adapters) calls once it has a
CRM event: it merges the snapshot into the stored ticket and stages the events in the outbox on
the caller's session. Nothing here commits.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson
from pydantic import AwareDatetime, TypeAdapter
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus import outbox
from csq_common.sql import BulkInsert
from csq_common.db import could_be_key, utcnow
from csq_common.pagination import decode_cursor, encode_cursor
from csq_common.sealing import Sealer
from csq_common.events import SPEC_VERSION, Customer, EncodedEvent, TicketClosed, TicketFirstResponded, sealed_contact
from feedback_svc.tickets.errors import TicketChangedConcurrently, TicketNotFound
from feedback_svc.tickets.models import Ticket
from feedback_svc.tickets.schemas import ReportedTicket

SOURCE = "feedback-svc"
# Separate namespaces: a CRM event id can never produce the id of a derived event.
CRM_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://csq.dev/feedback-svc/crm-events")
DERIVED_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://csq.dev/feedback-svc/derived-events")
FIRST_RESPONDED = TicketFirstResponded.event_type


def _uuid5(namespace: uuid.UUID, name: str) -> str:
    """``str(uuid.uuid5(namespace, name))`` without building UUID objects (once per event)."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    hex_ = digest.hex()
    return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"


def event_id_for(crm_event_id: str) -> str:
    """The CloudEvent id of a CRM event: the same on every redelivery."""
    return _uuid5(CRM_EVENT_NAMESPACE, crm_event_id)


def first_responded_event_id(ticket_id: str) -> str:
    return _uuid5(DERIVED_EVENT_NAMESPACE, json.dumps([ticket_id, FIRST_RESPONDED]))


# ---- the merge rule (pure) ----------------------------------------------------------------


@dataclass(frozen=True)
class Merge:
    overwrite: bool  # the snapshot becomes the stored state
    first_responded: bool  # derive ticket.first_responded from this snapshot now


def merge(
    *, last_event_at: datetime | None, first_response_published: bool, occurred_at: datetime, snapshot: ReportedTicket,
    merged: bool = False,
) -> Merge:
    """What one CRM event does to the stored ticket.

    The stored state is the snapshot of the latest event by event time: an older event arriving
    late does not overwrite it; on a tie the later arrival wins. A ``merged`` snapshot (a vendor
    change already merged field by field into the stored state) always overwrites it.
    ``ticket.first_responded`` is derived once, from the first snapshot to carry
    ``first_response_at``, late or not.
    """
    return Merge(
        overwrite=merged or last_event_at is None or occurred_at >= last_event_at,
        first_responded=not first_response_published and snapshot.first_response_at is not None,
    )


def snapshot_columns(snapshot: ReportedTicket) -> dict[str, Any]:
    customer = snapshot.customer
    return {
        "customer_id": customer.id if customer else None,
        "customer_email": customer.email if customer else None,
        "customer_name": customer.name if customer else None,
        "customer_locale": customer.locale if customer else None,
        "agent_id": snapshot.agent_id,
        "team_id": snapshot.team_id,
        "channel": snapshot.channel,
        "priority": snapshot.priority,
        "subject": snapshot.subject,
        "status": snapshot.status,
        "created_at": snapshot.created_at,
        "first_response_at": snapshot.first_response_at,
        "resolved_at": snapshot.resolved_at,
        "closed_at": snapshot.closed_at,
        "handle_seconds": snapshot.handle_seconds,
        "reopen_count": snapshot.reopen_count,
        "contact_count": snapshot.contact_count,
        "tags": list(snapshot.tags),
    }


# ---- writes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One CRM event to apply: the snapshot it carries, its type and event time.

    ``event_type`` None is a change that publishes no event of its own (a vendor's priority change
    or reply: only a derived first response, if due); ``merged`` see :func:`merge`.
    """

    snapshot: ReportedTicket
    event_type: str | None
    occurred_at: datetime
    crm_event_id: str
    merged: bool = False


async def report(
    session: AsyncSession,
    snapshot: ReportedTicket,
    *,
    event_type: str,
    occurred_at: datetime,
    crm_event_id: str,
    topic: str,
    notify_public_key: str,
) -> Merge:
    """Apply one CRM event: merge its snapshot, stage its event (and a derived first response)."""
    report_ = Report(snapshot=snapshot, event_type=event_type, occurred_at=occurred_at, crm_event_id=crm_event_id)
    return (await report_many(session, [report_], topic=topic, notify_public_key=notify_public_key))[0]


async def report_many(
    session: AsyncSession, reports: Sequence[Report], *, topic: str, notify_public_key: str
) -> list[Merge]:
    """Apply CRM events in arrival order with a handful of set-based statements.

    Every report is merged in memory in order (the same rule as one at a time). The touched
    tickets are first inserted as if new, with one INSERT … ON CONFLICT DO NOTHING (the common
    case of a batch: it creates them, and tells which already exist, with no read before); only
    the existing ones are then read (FOR UPDATE on PostgreSQL), merged again from their stored
    state and updated in one statement. Every event is staged in the outbox in arrival order,
    a ``ticket.closed`` with the customer's contact sealed for ``notify_public_key``.
    """
    if not reports:
        return []
    now = utcnow()
    decisions, rows, changed = _merge_all(reports, {}, now=now)
    # In id order, like the reads below: two batches never wait on each other's rows crosswise.
    touched = sorted(changed)
    values = [tuple(rows[ticket_id][name] for name in _COLUMNS) for ticket_id in touched]
    inserted = set(await _INSERT_TICKETS.execute(session, values))
    existing = {ticket_id for ticket_id in touched if ticket_id not in inserted}
    if existing:
        # Stored before this batch, or by a concurrent delivery that committed first (the INSERT
        # waited for it on PostgreSQL): merge into the stored rows instead. The merge is pure, so
        # recomputing it from the stored state is exact.
        stored = await _load_for_update(session, existing)
        if len(stored) < len(existing):
            missing = next(ticket_id for ticket_id in touched if ticket_id in existing and ticket_id not in stored)
            raise TicketChangedConcurrently(f"ticket {missing!r} changed concurrently; retry")
        decisions, rows, changed = _merge_all(reports, stored, now=now)
        updated = [rows[ticket_id] for ticket_id in changed if ticket_id in stored]
        if updated:
            await _update_existing(session, updated)
    sealer = Sealer(notify_public_key)  # one key agreement for the batch's contacts
    events = [
        (item.snapshot.id, event)
        for item, decision in zip(reports, decisions)
        for event in ticket_events(item, decision, contact=_contact_for(item, sealer))
    ]
    await outbox.add_many(session, [(event, topic, key) for key, event in events])
    return decisions


def _merge_all(
    reports: Sequence[Report], stored: dict[str, dict[str, Any]], *, now: datetime
) -> tuple[list[Merge], dict[str, dict[str, Any]], list[str]]:
    """Merge ``reports`` in order into copies of the ``stored`` rows (pure).

    Returns each report's decision, the resulting row per ticket and the ids of rows to write
    (in first-touch order).
    """
    rows = {ticket_id: dict(row) for ticket_id, row in stored.items()}
    changed: dict[str, None] = {}
    decisions: list[Merge] = []
    for item in reports:
        ticket_id = item.snapshot.id
        row = rows.get(ticket_id)
        decision = merge(
            last_event_at=row["last_event_at"] if row else None,
            first_response_published=row["first_response_published"] if row else False,
            occurred_at=item.occurred_at,
            snapshot=item.snapshot,
            merged=item.merged,
        )
        decisions.append(decision)
        if row is None:
            row = rows[ticket_id] = {"id": ticket_id, "first_response_published": False}
        if decision.overwrite:
            known_first_response = row.get("first_response_at")
            row.update(snapshot_columns(item.snapshot))
            if row["first_response_at"] is None and known_first_response is not None:
                # A first response is never undone: one derived from the messages, or stated by
                # an earlier snapshot, stays when a later snapshot does not state it.
                row["first_response_at"] = known_first_response
            row["last_event_at"] = max(item.occurred_at, row.get("last_event_at") or item.occurred_at)
            row["last_event_type"] = item.event_type or row.get("last_event_type") or "ticket.updated"
        if decision.first_responded:
            row["first_response_published"] = True
        if decision.overwrite or decision.first_responded:
            row["updated_at"] = now
            changed[ticket_id] = None
    return decisions, rows, list(changed)


def _contact_for(item: Report, sealer: Sealer) -> str | None:
    """The sealed contact a report's own event carries: only ``ticket.closed`` (the event that
    leads to a survey invitation) needs one."""
    if item.event_type != TicketClosed.event_type:
        return None
    return sealed_contact(item.snapshot.customer, sealer)


def event_ticket(snapshot: ReportedTicket, *, contact: str | None) -> dict[str, Any]:
    """The ticket as events carry it (``TicketSnapshot`` in JSON form): the customer reduced to
    id, locale and ``contact`` (sealed); their email and name never leave feedback-svc readable."""
    ticket = snapshot.model_dump(mode="json", exclude={"customer"})
    customer = snapshot.customer
    ticket["customer"] = (
        None if customer is None else {"id": customer.id, "locale": customer.locale, "sealed_contact": contact}
    )
    return ticket


def ticket_events(item: Report, decision: Merge, *, contact: str | None = None) -> list[EncodedEvent]:
    """The CloudEvents one report publishes, encoded: its own (carrying ``contact``, the sealed
    contact), then a derived first response if due (without it).

    Built without a model round trip: the snapshot is serialised once (as the typed
    ``TicketEvent`` models would) and the envelope is encoded straight from already-valid values,
    to the same bytes ``CloudEvent.to_bytes`` gives (tests/tickets/test_events.py holds them equal).
    Each event carries its own snapshot (not the merged state): kpi-svc attributes by it.
    """
    snapshot = item.snapshot
    ticket = event_ticket(snapshot, contact=contact)
    events = [] if item.event_type is None else [
        _event(
            item.event_type, ticket=ticket, occurred_at=item.occurred_at, occurred_json=_json_time(item.occurred_at),
            crm_event_id=item.crm_event_id, subject=snapshot.id, event_id=event_id_for(item.crm_event_id),
        )
    ]
    if decision.first_responded:
        events.append(
            _event(
                FIRST_RESPONDED, ticket=ticket if contact is None else event_ticket(snapshot, contact=None), occurred_at=snapshot.first_response_at,
                occurred_json=ticket["first_response_at"], crm_event_id=item.crm_event_id, subject=snapshot.id,
                event_id=first_responded_event_id(snapshot.id),
            )
        )
    return events


# ---- first responses from messages ----------------------------------------------------------


@dataclass(frozen=True)
class AgentReply:
    """A public agent message just recorded: a candidate first response of its ticket."""

    ticket_id: str
    sent_at: datetime
    crm_event_id: str  # the delivery that carried the message; the derived event names it


async def respond_first(session: AsyncSession, replies: Sequence[AgentReply], *, topic: str) -> set[str]:
    """Set ``first_response_at`` from the messages where the CRM has not stated it: for each
    stored ticket with no first response yet, its earliest public agent reply sent at or after its
    creation becomes the first response, and ``ticket.first_responded`` is derived from it (once
    per ticket, as from a snapshot). A reply to a ticket not reported yet sets nothing. Returns the
    ids of the tickets that got their first response."""
    by_ticket: dict[str, list[AgentReply]] = {}
    for reply in replies:
        by_ticket.setdefault(reply.ticket_id, []).append(reply)
    if not by_ticket:
        return set()
    stored = await _load_for_update(session, set(by_ticket))
    now = utcnow()
    updated: list[dict[str, Any]] = []
    events: list[tuple[EncodedEvent, str, str]] = []
    for ticket_id, row in stored.items():
        if row["first_response_at"] is not None or row["first_response_published"]:
            continue
        after = [r for r in by_ticket[ticket_id] if r.sent_at >= row["created_at"]]
        if not after:
            continue
        reply = min(after, key=lambda r: r.sent_at)
        row.update(first_response_at=reply.sent_at, first_response_published=True, updated_at=now)
        updated.append(row)
        ticket = event_ticket(_stored_snapshot(row), contact=None)
        events.append((
            _event(
                FIRST_RESPONDED, ticket=ticket, occurred_at=reply.sent_at, occurred_json=ticket["first_response_at"],
                crm_event_id=reply.crm_event_id, subject=ticket_id, event_id=first_responded_event_id(ticket_id),
            ),
            topic, ticket_id,
        ))
    if updated:
        await _update_existing(session, updated)
        await outbox.add_many(session, events)
    return {row["id"] for row in updated}


def _stored_snapshot(row: dict[str, Any]) -> ReportedTicket:
    """A stored ticket row as the snapshot its derived events carry (the customer's id and locale only)."""
    customer = None
    if row["customer_id"] is not None or row["customer_locale"] is not None:
        customer = Customer(id=row["customer_id"], locale=row["customer_locale"])
    fields = {name: row[name] for name in ReportedTicket.model_fields if name != "customer"}
    return ReportedTicket.model_validate({**fields, "tags": list(row["tags"] or []), "customer": customer})


_TIME = TypeAdapter(AwareDatetime)


def _json_time(value: datetime) -> str:
    return _TIME.dump_python(value, mode="json")


def _event(
    event_type: str, *, ticket: dict[str, Any], occurred_at: datetime, occurred_json: str, crm_event_id: str,
    subject: str, event_id: str,
) -> EncodedEvent:
    # The same fields, in the same order, as CloudEvent(...).model_dump(mode="json", exclude_none=True)
    # of TICKET_EVENTS[event_type](...).model_dump(mode="json"); nothing here is None.
    envelope = {
        "specversion": SPEC_VERSION, "id": event_id, "source": SOURCE, "type": event_type,
        "time": _json_time(occurred_at.astimezone(timezone.utc)), "subject": subject,
        "datacontenttype": "application/json",
        "data": {"schema_version": 1, "ticket": ticket, "occurred_at": occurred_json, "crm_event_id": crm_event_id},
    }
    return EncodedEvent(id=event_id, payload=orjson.dumps(envelope))


_TICKETS = Ticket.__table__
_COLUMNS = tuple(column.name for column in _TICKETS.columns)
_INSERT_TICKETS = BulkInsert(_TICKETS, _COLUMNS, skip_conflicts_on="id", returning="id")


async def _load_for_update(session: AsyncSession, ticket_ids: set[str]) -> dict[str, dict[str, Any]]:
    # FOR UPDATE serialises concurrent events of one ticket on PostgreSQL (SQLite writers are
    # serialised by BEGIN IMMEDIATE already), so the merge never works from a stale read. Rows
    # are locked in id order, so two batches never deadlock on each other.
    statement = select(_TICKETS).where(_TICKETS.c.id.in_(sorted(ticket_ids))).order_by(_TICKETS.c.id).with_for_update()
    return {row.id: dict(row._mapping) for row in await session.execute(statement)}


_WRITTEN = [column.name for column in _TICKETS.columns if column.name != "id"]
_UPDATE = (
    update(_TICKETS)
    .where(_TICKETS.c.id == bindparam("ticket_id"))
    .values({name: bindparam(name) for name in _WRITTEN})
)


async def _update_existing(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One executemany UPDATE of the changed stored tickets (already locked by the read)."""
    await session.execute(_UPDATE, [{"ticket_id": row["id"], **{name: row[name] for name in _WRITTEN}} for row in rows])


# ---- reads ------------------------------------------------------------------------------


MAX_ID_LENGTH = 200


async def get_ticket(session: AsyncSession, ticket_id: str) -> Ticket:
    ticket = await session.get(Ticket, ticket_id) if could_be_key(ticket_id, MAX_ID_LENGTH) else None
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


@dataclass(frozen=True)
class Page:
    items: list[Ticket]
    next_cursor: str | None


async def list_tickets(session: AsyncSession, *, limit: int, cursor: str | None = None) -> Page:
    """Tickets ordered by id, ``limit`` at a time; ``next_cursor`` is None on the last page."""
    statement = select(Ticket).order_by(Ticket.id).limit(limit + 1)
    if cursor:
        statement = statement.where(Ticket.id > decode_cursor(cursor)[0])
    rows = list((await session.execute(statement)).scalars())
    more = len(rows) > limit
    items = rows[:limit]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)
