"""sla_frt_pct and sla_resolution_pct in the summary against an oracle written from DESIGN.md's
words, walking each generated ticket minute by minute: the clock advances in the minutes its status
is not paused, the target falls due in the minute the clock reaches it, and a ticket counts in the
window holding its met time (answered or resolved within the target) or its due time."""

import random
from datetime import timedelta

from csq_common.db import utcnow
from csq_common.events import TicketAssigned, TicketCreated, TicketFirstResponded, TicketResolved
from kpi_svc.kpis.service import KpiFilters, kpi_summary
from kpi_svc.sla.notices import count_fallen_due
from tests.sla.factories import add_policy, feed, ticket_event

FRT, RESOLUTION = 60, 240  # minutes
PAUSED = {"pending", "on_hold"}


def status_at(timeline: dict[int, str], minute: int) -> str:
    return timeline[max(m for m in timeline if m <= minute)]


def oracle_outcome(created: int, timeline: dict[int, str], stop: int | None, target: int) -> tuple[bool, int] | None:
    """(met, attribution minute) of one clock, or None while it has neither fallen due nor stopped."""
    elapsed, due = 0, None
    for minute in range(created, stop if stop is not None else created + 5000):
        if status_at(timeline, minute) not in PAUSED:
            elapsed += 1
            if elapsed == target:
                due = minute + 1
    if stop is not None and elapsed <= target:
        return True, stop
    return None if due is None else (False, due)


async def test_sla_percentages_match_the_minute_by_minute_oracle(sessions):
    rng = random.Random(16)
    origin = (utcnow() - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    await add_policy(sessions, origin - timedelta(days=1), first_response_seconds=FRT * 60, resolution_seconds=RESOLUTION * 60)
    events, outcomes = [], []
    for number in range(80):
        ticket_id, team = f"T-{number}", rng.choice(["billing", "tech"])
        created = rng.randrange(0, 600)
        responded = created + rng.randrange(1, 150) if rng.random() < 0.8 else None
        resolved = max(responded or created, created + rng.randrange(30, 400)) + 1 if rng.random() < 0.6 else None
        timeline = {created: "new"}
        for _ in range(rng.randrange(0, 5)):
            minute = created + rng.randrange(1, 300)
            if minute not in (responded, resolved) and (resolved is None or minute < resolved):
                timeline[minute] = rng.choice(["pending", "open", "on_hold"])

        def at(minute):
            return origin + timedelta(minutes=minute)

        def send(model, minute, status, **fields):
            events.append(ticket_event(model, ticket_id, at(minute), at(created), status=status, team=team, **fields))

        for minute, status in sorted(timeline.items()):
            send(TicketCreated if minute == created else TicketAssigned, minute, status)
        if responded is not None:
            send(TicketFirstResponded, responded, status_at(timeline, responded), first_response_at=at(responded))
        if resolved is not None:
            timeline[resolved] = "solved"
            send(TicketResolved, resolved, "solved", resolved_at=at(resolved),
                 first_response_at=at(responded) if responded is not None else None)
        outcomes.append(("frt", team, oracle_outcome(created, timeline, responded, FRT)))
        outcomes.append(("resolution", team, oracle_outcome(created, timeline, resolved, RESOLUTION)))
    rng.shuffle(events)
    for batch in range(0, len(events), 37):
        await feed(sessions, *events[batch : batch + 37])

    async with sessions() as session:  # the notice worker's pass counts the targets fallen due by now
        await count_fallen_due(session, now=utcnow(), limit=1000)
        await session.commit()

    windows = [(0, 2010), (120, 405), (300, 315)]  # on 15-minute boundaries, as the summary reads
    for low, high in windows:
        for team in (None, "billing"):
            async with sessions() as session:
                summary = await kpi_summary(
                    session, start=origin + timedelta(minutes=low), end=origin + timedelta(minutes=high), filters=KpiFilters(team_id=team)
                )
            for metric, name in (("frt", "sla_frt_pct"), ("resolution", "sla_resolution_pct")):
                counted = [o for m, t, o in outcomes if m == metric and o is not None and (team is None or t == team) and low <= o[1] < high]
                met = sum(1 for ok, _ in counted if ok)
                assert summary.counts[name] == len(counted), (low, high, team, name)
                assert summary.values[name] == (None if not counted else 100 * met / len(counted)), (low, high, team, name)
