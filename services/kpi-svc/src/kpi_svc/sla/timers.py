"""Live SLA timers from ticket events, and their refresh when a policy or calendar is created,
changed or deleted.

The consumer's batch is folded per ticket into ``kpi_sla_tickets`` (only what the clocks need) and
each ticket's first-response, resolution and open next-response clocks are re-read
(``clock.read_clock``) into ``kpi_sla_timers``: a few reads and upserts per batch, whatever its
size. The message consumer re-reads the next-response clocks of the waits its batch touched
(:func:`apply_waits`, sla/waits.py). A timer already
measured (met, or missed after it stopped) keeps its result; a reopen starts a new resolution
clock (a new timer row) from the reopen time. A resolution clock that a reopen ends inside the
batch is written too, as the ticket stood just before the reopen, so the timers do not depend on
where the consumer's batches break.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import TICKET_EVENTS, TicketClosed, TicketFirstResponded, TicketReopened, TicketResolved
from csq_common.sql import add_to_counters, select_for_keys, transaction_lock
from kpi_svc.calendars.service import CalendarBook, load_book
from kpi_svc.sla.clock import read_clock, running_segments
from kpi_svc.sla.counting import counted, counter_batch, replace_counted
from kpi_svc.sla.models import (
    CANCELLED, FIRST_RESPONSE, MET, MISSED, NEXT_RESPONSE, RESOLUTION, TIMERS_LOCK, SlaPolicy, SlaTicket, SlaTimer,
)
from kpi_svc.sla.policies import first_match, policies_in_order
from kpi_svc.sla.waits import Wait, open_waits, wait_stop

#: The ticket events that start, pause, stop or restart a clock (all of today's ticket types).
CLOCK_EVENTS = frozenset(TICKET_EVENTS)
_STOPPED = {TicketResolved.event_type, TicketClosed.event_type}
_TICKET_COLUMNS = (
    "ticket_id", "team_id", "agent_id", "channel", "priority", "tags", "created_at", "first_response_at",
    "resolution_started_at", "resolved_at", "statuses", "updated_at", "active", "first_response_class", "resolution_class",
    "class_changes",
)
#: A ticket's priority and tags, which pick its policy.
TicketClass = tuple[str | None, list[str]]
assert set(_TICKET_COLUMNS) == set(SlaTicket.__table__.columns.keys())
_TIMER_COLUMNS = tuple(column.name for column in SlaTimer.__table__.columns)
_REFRESH_CHUNK = 500


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is timezone.utc else moment.astimezone(timezone.utc)


@dataclass
class TicketClocks:
    """A ticket as its SLA clocks see it (one ``kpi_sla_tickets`` row)."""

    ticket_id: str
    created_at: datetime
    resolution_started_at: datetime
    updated_at: datetime
    team_id: str | None = None
    agent_id: str | None = None
    channel: str | None = None
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    statuses: list[tuple[datetime, str]] = field(default_factory=list)
    #: The class of the event that first showed the first response, and the current resolution
    #: clock's stop (None until then): a stopped clock's policy is matched with it.
    first_response_class: TicketClass | None = None
    resolution_class: TicketClass | None = None
    #: ``(from, priority, tags)`` in time order: the ticket's class from each change on, as its
    #: events showed it; an answered customer wait is matched to a policy with the class at its reply.
    class_changes: list[tuple[datetime, str | None, list[str]]] = field(default_factory=list)
    #: Resolution clocks ended by a reopen in this batch, each as the ticket stood just before the
    #: reopen (not stored: their timers are written with the batch).
    ended: list["TicketClocks"] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Any) -> "TicketClocks":
        values = dict(row._mapping)
        values["statuses"] = [(datetime.fromisoformat(at), status) for at, status in values["statuses"]]
        for name in ("first_response_class", "resolution_class"):
            if values[name] is not None:
                priority, tags = values[name]
                values[name] = (priority, list(tags))
        changes = values["class_changes"]
        if changes is None:  # stored before migration 0015: the class it has now, from its latest event on
            values["class_changes"] = [(values["updated_at"], values["priority"], list(values["tags"]))]
        else:
            values["class_changes"] = [(datetime.fromisoformat(at), priority, list(tags)) for at, priority, tags in changes]
        values.pop("active")
        return cls(**values)

    @property
    def active(self) -> bool:
        return self.first_response_at is None or self.resolved_at is None

    def row(self) -> tuple:
        """The ``kpi_sla_tickets`` row, in ``_TICKET_COLUMNS`` order."""
        return (
            self.ticket_id, self.team_id, self.agent_id, self.channel, self.priority, self.tags, self.created_at,
            self.first_response_at, self.resolution_started_at, self.resolved_at,
            self.statuses, self.updated_at, self.active,  # its instants written as RFC 3339 (csq_common.sql)
            _stored_class(self.first_response_class), _stored_class(self.resolution_class), self.class_changes,
        )

    def class_at_stop(self, metric: str) -> TicketClass:
        """The priority and tags a clock of ``metric`` that has stopped is matched with: the
        ticket's when its stop was first shown, else (stored before that was kept) its latest."""
        known = self.first_response_class if metric == FIRST_RESPONSE else self.resolution_class
        return known if known is not None else (self.priority, self.tags)

    def class_at(self, moment: datetime) -> TicketClass:
        """The priority and tags the ticket had at ``moment`` (before its first known change: the
        first known class)."""
        changes = self.class_changes
        if not changes:
            return self.priority, self.tags
        _, priority, tags = changes[max(bisect_right(changes, moment, key=lambda change: change[0]) - 1, 0)]
        return priority, tags

    def add_class(self, at: datetime, priority: str | None, tags: list[str]) -> None:
        """Record the class an event of ``at`` showed, where it differs from the class before it (at
        one instant, the event applied last wins, as for the dimensions). Exact for events that come
        in time order; a late event between two earlier ones of one class holds until the next
        recorded change, as the repeat after it was not kept."""
        changes = self.class_changes
        index = bisect_right(changes, at, key=lambda change: change[0])
        if index and changes[index - 1][0] == at:
            index -= 1
            del changes[index]
        if not index or changes[index - 1][1:] != (priority, tags):
            changes.insert(index, (at, priority, tags))

    def add_status(self, at: datetime, status: str) -> None:
        """Record the status a snapshot at ``at`` carried, in time order. Every one is kept, repeats
        included: events may arrive out of order, and a repeat dropped now could be the change back
        after a status that arrives later."""
        if (at, status) not in self.statuses:
            self.statuses.append((at, status))
            self.statuses.sort()


def _stored_class(value: TicketClass | None) -> list | None:
    return None if value is None else [value[0], list(value[1])]


def merge_event(state: TicketClocks | None, event_type: str, event: Any) -> TicketClocks:
    """``state`` with one ticket event applied (order-tolerant: the dimensions come from the
    latest event, the first response is the earliest seen, a resolution counts only for the
    resolution clock running at that time). The event that first shows a clock's stop leaves its
    priority and tags with it (``*_class``), so the policy of a stopped clock does not depend on
    whether later events came in the same batch."""
    ticket = event.ticket
    occurred_at = _utc(event.occurred_at)
    fresh = state is None
    if state is None:
        created_at = _utc(ticket.created_at)
        state = TicketClocks(ticket.id, created_at=created_at, resolution_started_at=created_at, updated_at=occurred_at)
    elif event_type == TicketReopened.event_type and occurred_at > state.resolution_started_at:
        # The clock this reopen ends keeps the ticket as it stood before it (and its stop, if any).
        stop = state.resolved_at if state.resolved_at is not None and state.resolved_at <= occurred_at else None
        ended_class = state.resolution_class if stop is not None else None
        state.ended.append(replace(
            state, resolved_at=stop, tags=list(state.tags), resolution_class=ended_class, ended=[],
            class_changes=list(state.class_changes),
        ))
    if fresh or occurred_at >= state.updated_at:
        state.team_id, state.agent_id, state.channel = ticket.team_id, ticket.agent_id, ticket.channel
        state.priority, state.tags = ticket.priority, list(ticket.tags)
        state.updated_at = max(state.updated_at, occurred_at)
    if ticket.status:
        state.add_status(occurred_at, ticket.status)
    state.add_class(occurred_at, ticket.priority, list(ticket.tags))
    responded = ticket.first_response_at or (occurred_at if event_type == TicketFirstResponded.event_type else None)
    if responded is not None:
        responded = _utc(responded)
        if state.first_response_at is None:
            state.first_response_class = (ticket.priority, list(ticket.tags))
        state.first_response_at = min(state.first_response_at or responded, responded)
    if event_type == TicketReopened.event_type and occurred_at > state.resolution_started_at:
        state.resolution_started_at = occurred_at
        if state.resolved_at is not None and state.resolved_at <= occurred_at:
            state.resolved_at, state.resolution_class = None, None
    elif event_type in _STOPPED:
        candidates = [_utc(moment) for moment in (ticket.resolved_at, ticket.closed_at, occurred_at) if moment is not None]
        stop = next((moment for moment in candidates if moment >= state.resolution_started_at), None)
        if stop is not None and (state.resolved_at is None or stop < state.resolved_at):
            if state.resolved_at is None:
                state.resolution_class = (ticket.priority, list(ticket.tags))
            state.resolved_at = stop
    return state


async def _load_tickets(session: AsyncSession, ticket_ids: Iterable[str]) -> dict[str, TicketClocks]:
    table = SlaTicket.__table__
    rows = await select_for_keys(session, select(table), table.c.ticket_id, ticket_ids)
    return {row.ticket_id: TicketClocks.from_row(row) for row in rows}


async def _locked_timers(session: AsyncSession, keys: Iterable[tuple]) -> dict[tuple, Any]:
    """The stored timers under ``keys`` ``(ticket_id, metric, started_at)``, locked (PostgreSQL) with
    the other timers of their tickets, so that the notice worker, which counts timers falling due,
    skips them until this transaction has moved their counts; in key order, so two writers cannot
    deadlock."""
    table = SlaTimer.__table__
    wanted = set(keys)
    # by ticket (the primary key's first column): a row-value IN list of the exact keys is planned
    # as a scan of the whole table on PostgreSQL
    rows = await select_for_keys(
        session,
        select(*(table.c[name] for name in _TIMER_COLUMNS))
        .order_by(table.c.ticket_id, table.c.metric, table.c.started_at)
        .with_for_update(),
        table.c.ticket_id,
        {ticket_id for ticket_id, _, _ in wanted},
    )
    return {key: row for row in rows if (key := (row.ticket_id, row.metric, row.started_at)) in wanted}


async def apply_ticket_events(session: AsyncSession, facts: Sequence[tuple[str, Any]]) -> None:
    """Fold a consumer batch of ``(event type, ticket event)`` into the tickets' clocks and timers."""
    if not facts:
        return
    states = await _load_tickets(session, {event.ticket.id for _, event in facts})
    for event_type, event in sorted(facts, key=lambda fact: fact[1].occurred_at):
        ticket_id = event.ticket.id
        states[ticket_id] = merge_event(states.get(ticket_id), event_type, event)
    tickets = sorted(states.values(), key=lambda state: state.ticket_id)
    await add_to_counters(session, SlaTicket.__table__, _TICKET_COLUMNS, [t.row() for t in tickets], added=(), replaced=_TICKET_COLUMNS[1:])
    policies = await policies_in_order(session)
    if policies:  # without a policy there is no timer to start; a policy created later reads the tickets
        await refresh_timers(session, tickets, policies=policies, book=await load_book(session))


async def apply_waits(session: AsyncSession, waits: dict[str, list[Wait]]) -> None:
    """Re-read the next-response clocks of the customer waits a batch of messages touched (tickets
    not seen in a ticket event yet have no clock: their open wait is read when one arrives)."""
    if not waits:
        return
    policies = await policies_in_order(session)
    if not policies:
        return
    tickets = sorted((await _load_tickets(session, waits)).values(), key=lambda ticket: ticket.ticket_id)
    if tickets:
        await refresh_timers(session, tickets, policies=policies, book=await load_book(session), waits=waits)


def _clocks(tickets: Sequence[TicketClocks], waits: dict[str, list[Wait]], standard: bool) -> list[tuple]:
    """``(ticket, metric, start, stop, wait)`` of every clock to re-read (``wait`` for next response)."""
    clocks = []
    for ticket in tickets:
        if standard:
            clocks.append((ticket, FIRST_RESPONSE, ticket.created_at, ticket.first_response_at, None))
            for ended in ticket.ended:
                clocks.append((ended, RESOLUTION, ended.resolution_started_at, ended.resolved_at, None))
            clocks.append((ticket, RESOLUTION, ticket.resolution_started_at, ticket.resolved_at, None))
        for wait in waits.get(ticket.ticket_id, ()):
            stop, _ = wait_stop(wait, ticket.resolution_started_at, ticket.resolved_at)
            clocks.append((ticket, NEXT_RESPONSE, wait.started_at, stop, wait))
    return clocks


def target_of(policy: SlaPolicy | None, metric: str) -> int | None:
    """The policy's target for ``metric`` in seconds (None: no such clock under it)."""
    if policy is None:
        return None
    if metric == NEXT_RESPONSE:
        return policy.next_response_seconds
    return policy.first_response_seconds if metric == FIRST_RESPONSE else policy.resolution_seconds


async def refresh_timers(
    session: AsyncSession, tickets: Sequence[TicketClocks], *, policies: Sequence[SlaPolicy], book: CalendarBook,
    breached_before: datetime | None = None, waits: dict[str, list[Wait]] | None = None,
) -> None:
    """Re-read every clock of ``tickets`` under the first matching policy (a measured one under the
    policy it was measured by), and move the counts of the timers that changed (sla/counting.py).
    With ``breached_before`` (a policy or calendar created, changed or deleted now), timers already
    measured or due before it are left as they are: only clocks still short of their target
    change. ``waits``: only these next-response clocks (a batch of messages), else every clock of
    the tickets, their open waits included."""
    await transaction_lock(session, TIMERS_LOCK, shared=True)
    standard = waits is None
    if waits is None:
        waits = await open_waits(session, [ticket.ticket_id for ticket in tickets])
    clocks = _clocks(tickets, waits, standard)
    table = SlaTimer.__table__
    keys = [(ticket.ticket_id, metric, start) for ticket, metric, start, _, _ in clocks]
    existing = await _locked_timers(session, keys)
    by_id = {policy.id: policy for policy in policies}
    rows = []
    for (ticket, metric, start, stop, wait), key in zip(clocks, keys):
        known = existing.get(key)
        if wait is not None and wait.withdrawn:
            if known is not None and known.state != CANCELLED:
                rows.append(_timer_row(ticket, metric, start, stop, None, None, CANCELLED, None, None))
            continue
        if known is None and stop is not None and breached_before is not None:
            continue  # stopped before any policy covered it: never measured, and not now either
        measured = known is not None and known.state in (MET, MISSED)
        if breached_before is not None and known is not None and (
            measured or (known.due_at is not None and known.due_at <= breached_before)
        ):
            continue
        if measured:
            # A measured clock keeps its policy: a late or out-of-order event may still correct it,
            # but only while that policy is as it was (a changed or deleted policy leaves it final).
            policy = by_id.get(known.policy_id)
            if policy is None or policy.revision != known.policy_revision:
                continue
        elif stop is not None and metric != NEXT_RESPONSE:
            policy = first_match(policies, *ticket.class_at_stop(metric))
        elif stop is not None:  # a customer wait ended by a reply or a resolution: the class at that moment
            policy = first_match(policies, *ticket.class_at(stop))
        else:
            policy = first_match(policies, ticket.priority, ticket.tags)
        target = target_of(policy, metric)
        if target is None:
            if known is not None and known.state != CANCELLED:
                rows.append(_timer_row(ticket, metric, start, stop, None, None, CANCELLED, None, None))
            continue
        found = book.for_team(ticket.team_id) if policy.business_hours else None
        calendar = found[1] if found else None
        segments = running_segments(start, stop, ticket.statuses, frozenset(policy.paused_statuses))
        reading = read_clock(segments, stopped=stop is not None, target_seconds=target, calendar=calendar)
        replier = None
        if wait is not None:
            by_resolution = wait_stop(wait, ticket.resolution_started_at, ticket.resolved_at)[1]
            if by_resolution and reading.state == MET:
                reading = replace(reading, state=CANCELLED)  # resolved before its target: the wait is not measured
            if not by_resolution and wait.replied_at is not None:
                replier = (wait.replied_by or ticket.agent_id, wait.replied_on or ticket.channel)
        before = _counted_of(known)
        now_counted = counted(reading.state, reading.due_at, stop, now=None, before=before)
        rows.append(
            _timer_row(ticket, metric, start, stop, policy, calendar is not None, reading.state, reading.due_at, now_counted, replier)
        )
    # Only the timers that changed are written (most events move no clock).
    changed = sorted((row for row in rows if (known := existing.get(row[:3])) is None or tuple(known) != row), key=lambda row: row[:3])
    batch = counter_batch()
    for row in changed:
        known, values = existing.get(row[:3]), dict(zip(_TIMER_COLUMNS, row))
        replace_counted(
            batch, values["metric"], _dims_of(known), _counted_of(known), _dims_of(values), _counted_of(values)
        )
    await add_to_counters(session, table, _TIMER_COLUMNS, changed, added=(), replaced=_TIMER_COLUMNS[3:])
    await batch.write(session)


def _counted_of(row: Any) -> tuple[datetime, bool] | None:
    """What a stored timer row (or a row's values by name) adds now; None for no row."""
    if row is None:
        return None
    values = row if isinstance(row, dict) else row._mapping
    return None if values["counted_at"] is None else (values["counted_at"], bool(values["counted_met"]))


def _dims_of(row: Any) -> tuple | None:
    if row is None:
        return None
    values = row if isinstance(row, dict) else row._mapping
    return values["team_id"], values["agent_id"], values["channel"]


def _timer_row(ticket: TicketClocks, metric: str, start: datetime, stop: datetime | None, policy: SlaPolicy | None,
               business_hours: bool | None, state: str, due_at: datetime | None, now_counted: tuple[datetime, bool] | None,
               replier: tuple[str | None, str | None] | None = None) -> tuple:
    """A timer row; its team, agent and channel are the ticket's latest, but for a customer wait
    answered by a reply: that reply's agent and channel (``replier``), whose response time it is."""
    target = target_of(policy, metric) or 0
    agent, channel = replier or (ticket.agent_id, ticket.channel)
    values = {
        "ticket_id": ticket.ticket_id, "metric": metric, "started_at": start, "policy_id": policy.id if policy else None,
        "policy_revision": policy.revision if policy else None,
        "priority": ticket.priority, "team_id": ticket.team_id, "agent_id": agent, "channel": channel,
        "business_hours": bool(business_hours), "target_seconds": target, "state": state, "due_at": due_at, "stopped_at": stop,
        "counted_at": now_counted[0] if now_counted else None, "counted_met": now_counted[1] if now_counted else None,
    }
    return tuple(values[name] for name in _TIMER_COLUMNS)


async def refresh_running(session: AsyncSession, *, now: datetime) -> None:
    """Apply the policies and calendars as they are now to every ticket whose clock still runs
    (after a policy or calendar is created, changed or deleted), leaving measured and already
    breached timers alone.

    It holds TIMERS_LOCK alone until its transaction ends: it goes in chunks, each locking timer
    rows and then counter rows, so a consumer batch doing the same for tickets of several chunks
    could otherwise hold what the next chunk needs while waiting for what an earlier one took (a
    deadlock, which the request creating the policy would answer with an error). Consumer batches
    and the notice worker wait meanwhile."""
    await transaction_lock(session, TIMERS_LOCK)
    policies, book = await policies_in_order(session), await load_book(session)
    table = SlaTicket.__table__
    after = ""
    while True:
        rows = (
            await session.execute(
                select(table).where(table.c.active.is_(True), table.c.ticket_id > after).order_by(table.c.ticket_id).limit(_REFRESH_CHUNK)
            )
        ).all()
        if not rows:
            return
        await refresh_timers(
            session, [TicketClocks.from_row(row) for row in rows], policies=policies, book=book, breached_before=now
        )
        after = rows[-1].ticket_id
