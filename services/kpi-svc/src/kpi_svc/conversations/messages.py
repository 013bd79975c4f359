"""Next response: ``ticket.message_added`` → the wait of each answered customer message.

Only public messages count: a customer's starts a wait (or joins one already running), an
agent's ends it; bots, the system and private notes neither start nor end one. When several
customer messages come before one reply, the wait runs from the FIRST of them (what the customer
experienced), so each reply that answers something counts once, at its ``sent_at``, with
``sent_at − oldest unanswered customer message``.

Per ticket, ``kpi_next_response_state`` keeps ``waiting_since`` (the oldest unanswered customer
message, null when nothing waits) and ``last_reply_at`` (the latest agent reply seen). A reply
answers the customer messages sent after the previous reply and up to it; a customer message of
the very instant of a reply is answered by it without a wait of its own (so the result does not
depend on which of the two is seen first), and a second reply at that instant answers nothing. The
batch's messages are applied in ``sent_at`` order, so the order of delivery within a batch does
not matter, and redelivery is harmless without remembering message ids: a reply not later than
``last_reply_at`` and a customer message earlier than it were already applied. The price is what
happens across batches out of order: a customer message that arrives after a later reply was
applied is dropped (its wait is not counted), and a reply that arrives after a later reply is
dropped too.

The same waits run the SLA next-response clocks (sla/waits.py): the batch hands each changed
ticket's waits (answered, still open, or withdrawn) to ``sla.timers.apply_waits``.

Dimensions of a wait: the team as last known from the ticket's events (``kpi_sla_tickets``, which
keeps the latest snapshot's team and channel), the replying agent (the message's ``author_id``:
whose response time it is), and the message's channel, else the ticket's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from csq_common.sql import add_to_counters, insert_many, select_for_keys
from kpi_svc.aggregates.models import TicketDelta
from kpi_svc.aggregates.service import DELTA_COLUMNS, CellAggregate, duration_ms
from kpi_svc.conversations.models import NextResponseState
from kpi_svc.sla import timers as sla_timers
from kpi_svc.sla.models import SlaTicket
from kpi_svc.sla.waits import Wait, waits_of_batch

CUSTOMER = "customer"
AGENT = "agent"
_STATE_COLUMNS = ("ticket_id", "waiting_since", "last_reply_at", "updated_at")


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is timezone.utc else moment.astimezone(timezone.utc)


@dataclass
class Conversation:
    """A ticket's next-response state (one ``kpi_next_response_state`` row)."""

    waiting_since: datetime | None = None
    last_reply_at: datetime | None = None

    def customer_message(self, sent_at: datetime) -> None:
        if self.last_reply_at is not None and sent_at <= self.last_reply_at:
            return  # answered already (a redelivery), or out of order behind a later reply
        if self.waiting_since is None or sent_at < self.waiting_since:
            self.waiting_since = sent_at

    def agent_reply(self, sent_at: datetime) -> datetime | None:
        """Apply a public agent reply; the start of the wait it answers, if it answers one."""
        if self.last_reply_at is not None and sent_at <= self.last_reply_at:
            return None  # applied already (a redelivery), or out of order behind a later reply
        self.last_reply_at = sent_at
        waited = self.waiting_since
        if waited is None or waited > sent_at:
            return None  # nothing waits, or only a later message (that arrived before this reply)
        self.waiting_since = None
        return waited if waited < sent_at else None  # a message of the reply's instant: answered, no wait


@dataclass(frozen=True)
class NextResponse:
    ticket_id: str
    replied_at: datetime
    agent_id: str | None
    channel: str | None
    wait_ms: int
    started_at: datetime | None = None  # the customer message the wait runs from


def _counted(message) -> str | None:
    """The role a message plays for next response (CUSTOMER, AGENT), or None when it plays none."""
    if not message.public:
        return None
    return message.author_role if message.author_role in (CUSTOMER, AGENT) else None


def next_responses(states: dict[str, Conversation], messages: Sequence[Any]) -> list[NextResponse]:
    """Apply ``messages`` (``TicketMessageAdded`` payloads or their mirrors) to ``states`` (one per
    ticket, created as needed), in ``sent_at`` order; the waits the replies among them answered."""
    relevant = {}
    for message in messages:
        role = _counted(message)
        if role is not None:
            relevant.setdefault(message.message_id, (message, role))
    found = []
    # at one instant, replies first (either order gives the same result, see Conversation)
    ordered = sorted(relevant.values(), key=lambda item: (_utc(item[0].sent_at), item[1] == CUSTOMER, item[0].message_id))
    for message, role in ordered:
        state = states.setdefault(message.ticket_id, Conversation())
        sent_at = _utc(message.sent_at)
        if role == CUSTOMER:
            state.customer_message(sent_at)
            continue
        waited = state.agent_reply(sent_at)
        if waited is not None:
            found.append(
                NextResponse(message.ticket_id, sent_at, message.author_id, message.channel, duration_ms(waited, sent_at), waited)
            )
    return found


def _touched_waits(states: dict[str, Conversation], before: dict, found: list[NextResponse]) -> dict[str, list[Wait]]:
    """Per ticket whose state changed, the customer waits its SLA next-response clocks must re-read."""
    answered: dict[str, list[Wait]] = {}
    for wait in found:
        answered.setdefault(wait.ticket_id, []).append(Wait(wait.started_at, wait.replied_at, replied_by=wait.agent_id, replied_on=wait.channel))
    touched = {}
    for ticket_id, state in states.items():
        if before.get(ticket_id) != (state.waiting_since, state.last_reply_at):
            waited_before = before.get(ticket_id, (None, None))[0]
            waits = waits_of_batch(waited_before, state.waiting_since, answered.get(ticket_id, ()))
            if waits:
                touched[ticket_id] = waits
    return touched


async def _load(session: AsyncSession, table, columns: Sequence[str], ticket_ids: list[str]) -> list:
    return await select_for_keys(session, select(*(table.c[c] for c in columns)), table.c.ticket_id, ticket_ids)


async def apply_messages(session: AsyncSession, messages: Sequence[Any]) -> None:
    """Fold a consumer batch's ``ticket.message_added`` payloads into the tickets' next-response
    state and count the waits answered, as pending ticket deltas (see the module's docstring)."""
    ticket_ids = sorted({message.ticket_id for message in messages if _counted(message) is not None})
    if not ticket_ids:
        return
    states = {
        row.ticket_id: Conversation(row.waiting_since, row.last_reply_at)
        for row in await _load(session, NextResponseState.__table__, ("ticket_id", "waiting_since", "last_reply_at"), ticket_ids)
    }
    before = {ticket_id: (state.waiting_since, state.last_reply_at) for ticket_id, state in states.items()}
    found = next_responses(states, messages)
    now = utcnow()
    changed = [
        (ticket_id, state.waiting_since, state.last_reply_at, now)
        for ticket_id, state in sorted(states.items())
        if before.get(ticket_id) != (state.waiting_since, state.last_reply_at)
    ]
    await add_to_counters(session, NextResponseState.__table__, _STATE_COLUMNS, changed, added=(), replaced=_STATE_COLUMNS[1:])
    await sla_timers.apply_waits(session, _touched_waits(states, before, found))
    if not found:
        return
    known = {
        row.ticket_id: (row.team_id, row.channel)
        for row in await _load(session, SlaTicket.__table__, ("ticket_id", "team_id", "channel"), sorted({f.ticket_id for f in found}))
    }
    cells = CellAggregate()
    for wait in found:
        team, channel = known.get(wait.ticket_id, (None, None))
        cells.add_next_response(wait.replied_at, team, wait.agent_id, wait.channel or channel, wait.wait_ms)
    await insert_many(session, TicketDelta.__table__, DELTA_COLUMNS, cells.rows())
