"""Generated work of named agents: closed tickets (with first responses, some reopened) and CSAT
answers, each recorded as a fact for the oracles from the generator's own choices."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from csq_common.events import TicketClosed, TicketFirstResponded, TicketReopened
from kpi_svc.aggregates.rollup import fold_pending
from kpi_svc.consumers import handle_events
from tests.factories import Closure, FirstResponse, History, Reopen, event, ms, snapshot
from tests.survey_factories import Answer, Credit, Invitation, SurveyHistory, answered, invited


def add_work(
    tickets: History, surveys: SurveyHistory, rng: random.Random, *, agent: str, team: str, closures: int,
    start: datetime, span: timedelta, quality: float, channel: str | None = None, serial: str = "",
) -> None:
    """``closures`` tickets of ``agent`` in ``team`` closed in ``[start, start + span)``; a higher
    ``quality`` (0-1) gives faster first responses, more first-contact resolutions, fewer reopens
    and happier CSAT answers."""
    for number in range(closures):
        tid = f"T-{agent}-{team}-{serial}{number}"
        closed = start + ms(rng.randrange(0, span // ms(1)))
        frt_ms = rng.randrange(10_000, 60_000 + int((1 - quality) * 3_600_000))
        responded = closed - ms(rng.randrange(60_000, 7_200_000))
        created = responded - ms(frt_ms)
        handle = float(rng.randrange(60, 60 + int((1 - quality) * 1800) + 1))
        contacts = 1 if rng.random() < quality else rng.choice([2, 3])
        chan = channel or rng.choice(["email", "chat", "phone"])
        fields = dict(first_response_at=responded, closed_at=closed, handle_seconds=handle, contact_count=contacts)
        snap = snapshot(tid, team, agent, chan, created, **fields)
        tickets.events += [event(TicketFirstResponded, snap, responded), event(TicketClosed, snap, closed)]
        tickets.first_responses.append(FirstResponse(tid, responded, team, agent, chan, frt_ms))
        tickets.closures.append(Closure(tid, closed, team, agent, chan, (closed - created) // ms(1), handle, contacts == 1))
        if rng.random() < (1 - quality) / 3:
            reopened = closed + ms(rng.randrange(1000, 3600 * 1000))
            tickets.events.append(event(TicketReopened, snapshot(tid, team, agent, chan, created, reopen_count=1), reopened))
            tickets.reopens.append(Reopen(tid, reopened, team, agent, chan))
        if rng.random() < 0.6:
            iid, answered_at = f"I-{tid}", closed + ms(rng.randrange(1000, 600 * 1000))
            value = 5 if rng.random() < quality else rng.randint(1, 4)
            surveys.events += [
                invited(iid, closed, team, agent, chan),
                answered(f"R-{tid}", answered_at, [("csat", "attitude", value)], team, agent, chan, invitation_id=iid, invited_at=closed),
            ]
            surveys.invitations.append(Invitation(iid, closed, team, agent, chan))
            surveys.credits.append(Credit(closed, team, agent, chan))
            surveys.answers.append(Answer(answered_at, team, agent, chan, "csat", "attitude", value))


async def apply(sessions, rng: random.Random, events: list) -> None:
    """In shuffled batches, part of the deltas rolled up after some of them."""
    events = list(events)
    rng.shuffle(events)
    for position in range(0, len(events), 400):
        async with sessions() as session:
            await handle_events(session, events[position : position + 400])
            await session.commit()
        if rng.random() < 0.6:
            async with sessions() as session:
                await fold_pending(session, limit=rng.randrange(100, 2000))
                await session.commit()
