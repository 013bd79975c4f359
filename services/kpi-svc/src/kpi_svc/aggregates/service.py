"""Apply rules: ticket events → pending deltas per finest cell, exactly once per fact.

The consumer's batch is deduplicated against the ``kpi_counted_*`` tables (``csq_common.sql.claim_new`` per fact kind), aggregated in memory per finest cell (15-minute
bucket × team × agent × channel: its counter increments and its FRT / resolution bins) and
appended to ``kpi_ticket_deltas``: one plain INSERT whatever the batch size, about one row per
event at worst, instead of the 4 resolutions × 5 grouping sets of read-modify-write upserts that
each event costs in the aggregates. ``rollup.fold_pending`` folds the deltas into the aggregates
in the background; reads add the deltas still pending, so nothing waits for it. Nothing here
commits: the consumer runner commits the batch together with its inbox rows.

Attribution is by event time (closed_at, first_response_at, the reopen's occurred_at), with the
dimensions carried by the event's own ticket snapshot, so late or replayed events land in the same
buckets as on first delivery. Payloads are read by attribute: the contract's pydantic models or
their msgspec mirrors (``kpi_svc.decoding``) alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import TicketClosed, TicketFirstResponded, TicketReopened
from csq_common.sql import BulkInsert, claim_new
from kpi_svc.aggregates import sketch
from kpi_svc.aggregates.dimensions import stored
from kpi_svc.aggregates.models import (
    COUNTER_COLUMNS,
    CountedClosure,
    CountedFirstResponse,
    CountedReopen,
    SKETCH_COLUMNS,
    TicketDelta,
)
from kpi_svc.calendars.hours import Calendar, business_time
from kpi_svc.calendars.service import load_book
from kpi_svc.conversations import contacts

_WIDTH = len(COUNTER_COLUMNS)
(
    CLOSURES, RESOLUTION_COUNT, RESOLUTION_SUM, AHT_COUNT, AHT_SUM, FCR, REOPENS, FRT_COUNT, FRT_SUM,
    FRT_BH_COUNT, FRT_BH_SUM, RESOLUTION_BH_COUNT, RESOLUTION_BH_SUM, NEXT_RESPONSE_COUNT, NEXT_RESPONSE_SUM, REPEATS,
) = range(_WIDTH)
assert COUNTER_COLUMNS[FRT_SUM] == "frt_sum_ms" and COUNTER_COLUMNS[CLOSURES] == "closures"
assert COUNTER_COLUMNS[FRT_BH_COUNT] == "frt_bh_count" and COUNTER_COLUMNS[REPEATS] == "repeat_contacts"

CellKey = tuple[int, str, str, str]  # quarter_index, team, agent, channel (stored)
DELTA_COLUMNS = ("bucket_start", "team_id", "agent_id", "channel", *COUNTER_COLUMNS, *SKETCH_COLUMNS)
_DELTAS = BulkInsert(TicketDelta.__table__, DELTA_COLUMNS)
#: A ticket event as the handler passes it: (CloudEvent type, payload).
TicketFact = tuple[str, Any]


def duration_ms(start: datetime, end: datetime) -> int:
    """Whole milliseconds from ``start`` to ``end``; negative (bad CRM clocks) clamps to 0."""
    delta = end - start  # whole ms without timedelta division (hot path)
    return max(delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000, 0)


def business_ms(calendar: Calendar, start: datetime, end: datetime) -> int:
    """Whole milliseconds of ``[start, end)`` inside the calendar's opening hours (0 if not after)."""
    delta = business_time(calendar, start, end)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _utc(ts: datetime) -> datetime:
    return ts if ts.tzinfo is timezone.utc else ts.astimezone(timezone.utc)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_QUARTER = timedelta(minutes=15)


def quarter_index(ts: datetime) -> int:
    """The number of the UTC 15-minute bucket holding aware ``ts`` since 1970 (exact integer
    arithmetic, cheaper than ``buckets.floor_to(ts, Q15)`` on the consumer's hot path)."""
    return (ts - _EPOCH) // _QUARTER


def quarter_start(index: int) -> datetime:
    return _EPOCH + index * _QUARTER


class CellAggregate:
    """One batch's increments per finest cell: ``key → (counters, frt bins, resolution bins)``."""

    def __init__(self) -> None:
        self.cells: dict[CellKey, tuple[list[int], dict[int, int], dict[int, int]]] = {}

    def _cell(self, at: datetime, ticket) -> tuple[list[int], dict[int, int], dict[int, int]]:
        return self.cell(at, ticket.team_id, ticket.agent_id, ticket.channel)

    def cell(self, at: datetime, team: str | None, agent: str | None, channel: str | None) -> tuple[list[int], dict[int, int], dict[int, int]]:
        """The increments of the finest cell holding ``at`` for these (original) dimensions."""
        key = (quarter_index(at), stored(team), stored(agent), stored(channel))
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = ([0] * _WIDTH, {}, {})
        return cell

    def add_closure(self, ticket, closed_at: datetime, calendar: Calendar | None = None, repeat: bool = False) -> None:
        """A closure; with ``calendar``, its resolution time in business hours too; ``repeat``:
        its customer had another ticket created within 7 days before it (conversations.contacts)."""
        counters, _, resolution_bins = self._cell(closed_at, ticket)
        resolution_ms = duration_ms(ticket.created_at, ticket.resolved_at or closed_at)
        if calendar is not None:
            counters[RESOLUTION_BH_COUNT] += 1
            counters[RESOLUTION_BH_SUM] += business_ms(calendar, ticket.created_at, ticket.resolved_at or closed_at)
        if repeat:
            counters[REPEATS] += 1
        counters[CLOSURES] += 1
        counters[RESOLUTION_COUNT] += 1
        counters[RESOLUTION_SUM] += resolution_ms
        handle = ticket.handle_seconds
        if handle is not None:
            counters[AHT_COUNT] += 1
            counters[AHT_SUM] += round(handle * 1000)
        if ticket.contact_count == 1 and ticket.reopen_count == 0:
            counters[FCR] += 1
        bin_key = sketch.key(resolution_ms / 1000)
        resolution_bins[bin_key] = resolution_bins.get(bin_key, 0) + 1

    def add_first_response(self, ticket, responded_at: datetime, calendar: Calendar | None = None) -> None:
        counters, frt_bins, _ = self._cell(responded_at, ticket)
        frt_ms = duration_ms(ticket.created_at, responded_at)
        if calendar is not None:
            counters[FRT_BH_COUNT] += 1
            counters[FRT_BH_SUM] += business_ms(calendar, ticket.created_at, responded_at)
        counters[FRT_COUNT] += 1
        counters[FRT_SUM] += frt_ms
        bin_key = sketch.key(frt_ms / 1000)
        frt_bins[bin_key] = frt_bins.get(bin_key, 0) + 1

    def add_reopen(self, ticket, occurred_at: datetime) -> None:
        self._cell(occurred_at, ticket)[0][REOPENS] += 1

    def add_next_response(self, replied_at: datetime, team: str | None, agent: str | None, channel: str | None, wait_ms: int) -> None:
        counters = self.cell(replied_at, team, agent, channel)[0]
        counters[NEXT_RESPONSE_COUNT] += 1
        counters[NEXT_RESPONSE_SUM] += wait_ms

    def rows(self) -> list[tuple]:
        """The delta rows, in ``DELTA_COLUMNS`` order."""
        return [
            (quarter_start(key[0]), *key[1:], *counters, sketch.encode(frt_bins), sketch.encode(resolution_bins))
            for key, (counters, frt_bins, resolution_bins) in self.cells.items()
        ]


def collect(facts: Sequence[TicketFact]) -> tuple[dict, dict, dict]:
    """The batch's distinct closures, first responses and reopens, first occurrence winning (as
    it would across batches):

    - closure: distinct (ticket id, closed_at); ``closed_at`` missing on a ``ticket.closed`` falls
      back to the event's ``occurred_at``;
    - first response: once per ticket id, at ``first_response_at`` (else ``occurred_at``);
    - reopen: distinct (ticket id, occurred_at).
    Other ticket event types carry no KPI fact yet and are ignored.
    """
    closures: dict[tuple[str, datetime], Any] = {}
    first_responses: dict[str, Any] = {}
    reopens: dict[tuple[str, datetime], Any] = {}
    for event_type, event in facts:
        ticket = event.ticket
        if event_type == TicketClosed.event_type:
            closures.setdefault((ticket.id, _utc(ticket.closed_at or event.occurred_at)), event)
        elif event_type == TicketFirstResponded.event_type:
            first_responses.setdefault(ticket.id, event)
        elif event_type == TicketReopened.event_type:
            reopens.setdefault((ticket.id, _utc(event.occurred_at)), event)
    return closures, first_responses, reopens


async def apply_ticket_events(session: AsyncSession, facts: Sequence[TicketFact]) -> None:
    """Count the closures, first responses and reopens among ``facts`` not counted before (see
    :func:`collect`), as pending deltas.

    The business-hours variants use the calendar of the snapshot's team (else the default) as the
    calendars are when the fact is counted; without any calendar they are not counted. Whether a
    closure is a repeat contact is read from the customers' tickets recorded so far, this batch's
    included (conversations.contacts)."""
    closures, first_responses, reopens = collect(facts)
    await contacts.record_tickets(session, (event.ticket for _, event in facts))
    new_closures = await claim_new(session, CountedClosure.__table__, ("ticket_id", "closed_at"), closures)
    new_first = await claim_new(session, CountedFirstResponse.__table__, ("ticket_id",), [(t,) for t in first_responses])
    new_reopens = await claim_new(session, CountedReopen.__table__, ("ticket_id", "occurred_at"), reopens)

    book = await load_book(session) if new_closures or new_first else None

    def calendar_of(ticket) -> Calendar | None:
        found = book.for_team(ticket.team_id)
        return found[1] if found else None

    counted = [(key, event) for key, event in closures.items() if key in new_closures]
    repeats = await contacts.repeat_closures(
        session,
        [(customer, key[0], key[1]) for key, event in counted if (customer := contacts.customer_of(event.ticket)) is not None],
    )
    cells = CellAggregate()
    for key, event in counted:
        cells.add_closure(event.ticket, key[1], calendar_of(event.ticket), key in repeats)
    for ticket_id, event in first_responses.items():
        if (ticket_id,) in new_first:
            ticket = event.ticket
            cells.add_first_response(ticket, _utc(ticket.first_response_at or event.occurred_at), calendar_of(ticket))
    for key, event in reopens.items():
        if key in new_reopens:
            cells.add_reopen(event.ticket, key[1])
    if cells.cells:
        await _DELTAS.execute(session, cells.rows())
