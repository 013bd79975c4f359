"""Next-response clocks: one per customer wait (conversations/messages.py keeps the waits).

A wait starts at the first public customer message after the agent's latest public reply and
ends at the agent's next public reply; its clock pauses in the policy's paused statuses and counts
business hours like the other clocks, against the policy's ``next_response_seconds`` (a policy
without it starts no next-response clock). Each wait is its own timer row (``started_at`` is in
the key). A wait also ends without being measured when the ticket is resolved or closed after it
started (or reopened after such a resolution): the timer is cancelled, unless its target had
already fallen due, in which case it stays missed. A wait learnt to have started earlier (a
customer message that arrives late) replaces the later one, whose timer is cancelled, and so is
the timer of a customer message answered at its very instant (no wait of its own).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.sql import select_for_keys
from kpi_svc.conversations.models import NextResponseState


@dataclass(frozen=True, slots=True)
class Wait:
    """A customer's wait: its start, the reply that ended it (None: still open) with the replying
    agent and the reply's channel, and whether it was withdrawn (superseded by an earlier start, or
    answered at its own instant)."""

    started_at: datetime
    replied_at: datetime | None = None
    withdrawn: bool = False
    replied_by: str | None = None
    replied_on: str | None = None


async def open_waits(session: AsyncSession, ticket_ids: Iterable[str]) -> dict[str, list[Wait]]:
    """The wait still open of each of ``ticket_ids`` that has one."""
    table = NextResponseState.__table__
    statement = select(table.c.ticket_id, table.c.waiting_since).where(table.c.waiting_since.is_not(None))
    rows = await select_for_keys(session, statement, table.c.ticket_id, ticket_ids)
    return {ticket_id: [Wait(since)] for ticket_id, since in rows}


def wait_stop(wait: Wait, resolution_started_at: datetime, resolved_at: datetime | None) -> tuple[datetime | None, bool]:
    """``(where the clock stops, whether a resolution rather than a reply stopped it)``."""
    ended = None
    if resolved_at is not None and resolved_at >= wait.started_at:
        ended = resolved_at
    elif resolution_started_at > wait.started_at:  # resolved, then reopened, since it started
        ended = resolution_started_at
    if ended is not None and (wait.replied_at is None or ended < wait.replied_at):
        return ended, True
    return wait.replied_at, False


def waits_of_batch(before: datetime | None, after: datetime | None, answered: Iterable[Wait]) -> list[Wait]:
    """The waits one ticket's batch of messages touched: the ``answered`` ones, the one open after
    it (``after``), and the one open before it (``before``) withdrawn if it is neither."""
    waits = list(answered)
    starts = {wait.started_at for wait in waits}
    if after is not None:
        waits.append(Wait(after))
    if before is not None and before != after and before not in starts:
        waits.append(Wait(before, withdrawn=True))
    return waits
