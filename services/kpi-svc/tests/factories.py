"""Generated ticket histories as CloudEvents, and the facts an independent oracle computes from.

Everything is attributed from the generator's own records (not from the events), so the oracle
in ``oracle.py`` shares no code with the service.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from csq_common.events import (
    CloudEvent,
    TicketAssigned,
    TicketClosed,
    TicketCreated,
    TicketFirstResponded,
    TicketReopened,
    TicketResolved,
    make_event,
)

UTC = timezone.utc
# Tickets start in the two hours before midnight 2026-11-21 and across the following day, so
# their facts straddle 15-minute, hour and day boundaries.
ORIGIN = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
TEAMS = ["billing", "tech", "sales", None]
AGENTS = {"billing": ["A-1", "A-2"], "tech": ["A-3", "A-4"], "sales": ["A-5"], None: ["A-1", None]}
CHANNELS = ["email", "chat", "phone", None]


@dataclass(frozen=True)
class Closure:
    ticket_id: str
    closed_at: datetime
    team: str | None
    agent: str | None
    channel: str | None
    resolution_ms: int  # already clamped
    handle_seconds: float | None
    fcr: bool
    resolution_bh_ms: int | None = None  # None: no calendar applies
    repeat: bool = False  # the customer had another ticket created within 7 days before


@dataclass(frozen=True)
class FirstResponse:
    ticket_id: str
    at: datetime
    team: str | None
    agent: str | None
    channel: str | None
    frt_ms: int
    frt_bh_ms: int | None = None  # None: no calendar applies


@dataclass(frozen=True)
class Reopen:
    ticket_id: str
    at: datetime
    team: str | None
    agent: str | None
    channel: str | None


@dataclass(frozen=True)
class NextResponse:
    ticket_id: str
    at: datetime  # the reply's sent_at
    team: str | None
    agent: str | None
    channel: str | None
    wait_ms: int


@dataclass
class History:
    events: list[CloudEvent] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)
    first_responses: list[FirstResponse] = field(default_factory=list)
    reopens: list[Reopen] = field(default_factory=list)
    next_responses: list[NextResponse] = field(default_factory=list)


def ms(delta_ms: int) -> timedelta:
    return timedelta(milliseconds=delta_ms)


def event(model, snapshot: dict, occurred_at: datetime, *, event_id: str | None = None) -> CloudEvent:
    data = model(ticket=snapshot, occurred_at=occurred_at)
    return make_event(data, source="test/crm", subject=snapshot["id"], time=occurred_at, event_id=event_id or str(uuid.uuid4()))


def snapshot(ticket_id: str, team, agent, channel, created_at: datetime, **fields) -> dict:
    return {
        "id": ticket_id,
        "team_id": team,
        "agent_id": agent,
        "channel": channel,
        "priority": "normal",
        "created_at": created_at,
        **fields,
    }


def generate(rng: random.Random, tickets: int, *, origin: datetime = ORIGIN) -> History:
    history = History()
    for number in range(tickets):
        tid = f"T-{number}"
        team = rng.choice(TEAMS)
        agent = rng.choice(AGENTS[team])
        channel = rng.choice(CHANNELS)
        created = origin + ms(rng.randrange(0, 26 * 3600 * 1000))
        base = dict(ticket_id=tid, team=team, agent=agent, channel=channel, created_at=created)
        add = history.events.append
        add(event(TicketCreated, snapshot(tid, team, agent, channel, created), created))
        add(event(TicketAssigned, snapshot(tid, team, agent, channel, created), created + ms(1000)))

        # first response: 5 % from a CRM whose clock is behind (negative FRT → 0)
        offset = -rng.randrange(1, 600_000) if rng.random() < 0.05 else rng.randrange(0, 4 * 3600 * 1000)
        responded = created + ms(offset)
        responded_event = event(
            TicketFirstResponded, snapshot(tid, team, agent, channel, created, first_response_at=responded), responded
        )
        add(responded_event)
        if rng.random() < 0.2:  # the same first response again under a new event id
            add(event(TicketFirstResponded, snapshot(tid, team, agent, channel, created, first_response_at=responded), responded))
        history.first_responses.append(
            FirstResponse(tid, responded, team, agent, channel, max(offset, 0))
        )
        if rng.random() < 0.15:
            continue  # still open

        closed = created + ms(rng.randrange(60_000, 30 * 3600 * 1000))
        resolved = closed - ms(rng.randrange(0, 3_600_000)) if rng.random() < 0.7 else None
        if resolved is not None and rng.random() < 0.05:
            resolved = created - ms(rng.randrange(1, 100_000))  # bad clock: negative → 0
        handle = rng.choice([None, float(rng.randrange(30, 3000)), rng.randrange(30, 3000) + 0.25])
        contact = rng.choice([1, 1, 1, 2, 3])
        fields = dict(first_response_at=responded, resolved_at=resolved, closed_at=closed, handle_seconds=handle,
                      contact_count=contact, reopen_count=0)
        if resolved is not None:
            add(event(TicketResolved, snapshot(tid, team, agent, channel, created, **{**fields, "closed_at": None}), resolved))
        for _ in range(rng.choice([1, 1, 2, 3])):  # duplicate closes with new event ids
            add(event(TicketClosed, snapshot(tid, team, agent, channel, created, **fields), closed))
        history.closures.append(
            Closure(tid, closed, team, agent, channel, max(((resolved or closed) - created) // ms(1), 0), handle,
                    contact == 1)
        )
        if rng.random() < 0.25:  # reopened, maybe by another team/agent, and closed again
            reopened = closed + ms(rng.randrange(1000, 20 * 3600 * 1000))
            team2 = rng.choice(TEAMS) if rng.random() < 0.3 else team
            agent2 = rng.choice(AGENTS[team2])
            reopen_fields = {**fields, "closed_at": None, "resolved_at": None, "reopen_count": 1}
            for _ in range(rng.choice([1, 2])):
                add(event(TicketReopened, snapshot(tid, team2, agent2, channel, created, **reopen_fields), reopened))
            history.reopens.append(Reopen(tid, reopened, team2, agent2, channel))
            if rng.random() < 0.8:
                closed2 = reopened + ms(rng.randrange(1000, 5 * 3600 * 1000))
                handle2 = rng.choice([None, float(rng.randrange(30, 3000))])
                fields2 = {**fields, "closed_at": closed2, "resolved_at": None, "reopen_count": 1,
                           "contact_count": contact + 1, "handle_seconds": handle2}
                add(event(TicketClosed, snapshot(tid, team2, agent2, channel, created, **fields2), closed2))
                history.closures.append(
                    Closure(tid, closed2, team2, agent2, channel, (closed2 - created) // ms(1), handle2, False)
                )
    return history
