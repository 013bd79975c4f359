"""SLA timers must not depend on how the consumer's batches cut the event stream: the same
per-ticket-ordered events (first responses, pauses, resolutions, reopens, resolved again, a change
of priority; tickets interleaved out of time order) fed as one batch, cut at every single boundary, and cut at random,
give the same timers and SLA counts, and those of an independent walk over each ticket's history."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from csq_common.events import (
    TicketAssigned, TicketClosed, TicketCreated, TicketFirstResponded, TicketReopened, TicketResolved,
)
from kpi_svc.sla.team_counts import sla_counts_by_team
from tests.sla.factories import add_policy, feed, ticket_event, timers

UTC = timezone.utc
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
PAUSED = frozenset({"pending", "on_hold"})
TEAMS = ("billing", "售后一组")
URGENT = {"first_response_seconds": 1200, "resolution_seconds": 3600}
NORMAL = {"first_response_seconds": 2400, "resolution_seconds": 2 * 3600}


@dataclass(frozen=True)
class Step:
    """One ticket event as generated: its type, time, status and snapshot fields."""

    model: type
    at: datetime
    status: str
    team: str
    fields: dict
    priority: str = "normal"


def ticket_history(rng: random.Random) -> tuple[datetime, list[Step]]:
    """A creation time and the ticket's events in time order: pauses, a first response, a
    resolution (and maybe a close), then 0-2 reopens each resolved again (or left open); the
    priority urgent or normal, and in half the tickets changed to the other from some event on."""
    priority = rng.choice(("urgent", "normal"))
    created = T0 + timedelta(minutes=rng.randrange(0, 600))
    now = created
    team = rng.choice(TEAMS)
    steps = [Step(TicketCreated, created, "new", team, {})]
    responded: datetime | None = None

    def later(low: int, high: int) -> datetime:
        nonlocal now
        now = now + timedelta(seconds=rng.randrange(low, high))
        return now

    def pause() -> None:
        if rng.random() < 0.6:
            steps.append(Step(TicketAssigned, later(60, 1800), rng.choice(sorted(PAUSED)), team, {}))
            steps.append(Step(TicketAssigned, later(60, 3600), "open", team, {}))

    pause()
    responded = later(60, 3000)
    steps.append(Step(TicketFirstResponded, responded, "open", team, {"first_response_at": responded}))
    for cycle in range(rng.choice((1, 2, 2, 3))):
        if cycle:
            team = rng.choice(TEAMS) if rng.random() < 0.4 else team  # reopened, maybe by another team
            steps.append(Step(TicketReopened, later(600, 5 * 3600), "open", team, {"first_response_at": responded}))
        pause()
        if cycle and rng.random() < 0.2:
            break  # reopened and still open
        resolved = later(60, 3 * 3600)
        steps.append(Step(TicketResolved, resolved, "solved", team, {"first_response_at": responded, "resolved_at": resolved}))
        if rng.random() < 0.5:
            closed = later(60, 3600)
            steps.append(Step(TicketClosed, closed, "closed", team,
                              {"first_response_at": responded, "resolved_at": resolved, "closed_at": closed}))
    if rng.random() < 0.5:
        other = "normal" if priority == "urgent" else "urgent"
        change = rng.randrange(1, len(steps))
        steps = [replace(step, priority=priority if index < change else other) for index, step in enumerate(steps)]
    else:
        steps = [replace(step, priority=priority) for step in steps]
    return created, steps


def interleave(rng: random.Random, histories: dict[str, list]) -> list[tuple[str, int]]:
    """(ticket, step index) in a delivery order that keeps each ticket's order and mixes tickets
    out of time order."""
    pending = {ticket: 0 for ticket in histories}
    order = []
    while pending:
        ticket = rng.choice(sorted(pending))
        order.append((ticket, pending[ticket]))
        pending[ticket] += 1
        if pending[ticket] == len(histories[ticket][1]):
            del pending[ticket]
    return order


def read(start: datetime, stop: datetime | None, statuses: list[tuple[datetime, str]], target: int):
    """(state, due_at) of a wall-clock timer from ``start`` to ``stop`` that stands still while
    the status is a paused one, walked change by change."""
    changes = sorted({at for at, _ in statuses if start < at and (stop is None or at < stop)})
    bounds = [start, *changes, stop]
    used = 0.0
    last_running = True
    for since, until in zip(bounds, bounds[1:]):
        status = [s for at, s in statuses if at <= since]
        running = not status or status[-1] not in PAUSED
        last_running = running
        if not running:
            continue
        if until is None:
            return "running", since + timedelta(seconds=target - used)
        length = (until - since).total_seconds()
        if used + length > target:
            due = since + timedelta(seconds=target - used)
            return ("missed" if stop is not None else "running"), due
        used += length
    if stop is not None:
        return "met", None
    return ("running", None) if last_running else ("paused", None)


def expected_timers(created: datetime, steps: list[Step], policies: dict[str, str]) -> set[tuple]:
    """The documented rule: one first-response clock from creation; a resolution clock from the
    creation and from each reopen, each stopped by the first resolution after its start, each
    measured on its own with the dimensions the ticket had before the clock ended (the latest for
    the clock still current), under the policy of the priority of the event that first showed its
    stop (the latest priority while it runs)."""
    statuses = [(step.at, step.status) for step in steps]
    latest = steps[-1]
    rows = set()
    answered = next(step for step in steps if "first_response_at" in step.fields)
    responded = answered.fields["first_response_at"]
    target = URGENT if answered.priority == "urgent" else NORMAL
    state, due = read(created, responded, statuses, target["first_response_seconds"])
    rows.add(("first_response", created, policies[answered.priority], latest.team, state, due, responded))
    starts = [created] + [step.at for step in steps if step.model is TicketReopened]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else None
        stopping = [step for step in steps
                    if step.model in (TicketResolved, TicketClosed) and start <= step.fields["resolved_at"] and (end is None or step.at <= end)]
        stop = min((step.fields["resolved_at"] for step in stopping), default=None)
        priority = stopping[0].priority if stopping else latest.priority
        target = URGENT if priority == "urgent" else NORMAL
        team = latest.team if end is None else [step.team for step in steps if step.at < end][-1]
        state, due = read(start, stop, statuses, target["resolution_seconds"])
        rows.add(("resolution", start, policies[priority], team, state, due, stop))
    return rows


async def test_timers_do_not_depend_on_where_batches_break(sessions):
    rng = random.Random(2026_1206)
    urgent = await add_policy(sessions, T0 - timedelta(hours=2), name="紧急工单", priorities=["urgent"], **URGENT)
    normal = await add_policy(sessions, T0 - timedelta(hours=1), name="普通工单", **NORMAL)
    policies = {"urgent": urgent.id, "normal": normal.id}
    histories = {f"T-{number}": ticket_history(rng) for number in range(6)}
    order = interleave(rng, histories)
    steps = [step for _, history in histories.values() for step in history]
    assert sum(step.model is TicketReopened for step in steps) >= 3 and any(step.status in PAUSED for step in steps)
    assert any(len({step.priority for step in history}) == 2 for _, history in histories.values())

    # Cuts: none, every single boundary, every event alone, and a few random sets of cuts.
    cuttings: list[list[int]] = [[]] + [[boundary] for boundary in range(1, len(order))] + [list(range(1, len(order)))]
    cuttings += [sorted(rng.sample(range(1, len(order)), rng.randrange(2, 8))) for _ in range(4)]
    for run, cuts in enumerate(cuttings):
        events = []
        for ticket, index in order:
            created, steps = histories[ticket]
            step = steps[index]
            events.append(ticket_event(step.model, f"R{run}-{ticket}", step.at, created, status=step.status,
                                       team=f"R{run}-{step.team}", priority=step.priority, **step.fields))
        for begin, end in zip([0, *cuts], [*cuts, len(events)]):
            await feed(sessions, *events[begin:end])

    found = await timers(sessions)
    by_run: dict[int, set[tuple]] = {}
    for (ticket_id, metric), rows in found.items():
        run, ticket = ticket_id.split("-", 1)
        for t in rows:
            team = t.team_id.split("-", 1)[1]
            by_run.setdefault(int(run[1:]), set()).add(
                (ticket, metric, t.started_at, t.policy_id, team, t.state, t.due_at, t.stopped_at)
            )
    expected = {
        (ticket, *row) for ticket, (created, steps) in histories.items()
        for row in expected_timers(created, steps, policies)
    }
    for run, cuts in enumerate(cuttings):
        assert (sorted(by_run[run] - expected), sorted(expected - by_run[run])) == ([], []), f"cut at {cuts}"

    # The SLA KPIs of every run, from the counters the timers wrote, equal the oracle's counts.
    far = T0 + timedelta(days=30)
    async with sessions() as session:
        counts = await sla_counts_by_team(session, start=T0 - timedelta(days=1), end=far)
    oracle: dict[tuple[str, str], list[int]] = {}
    for ticket, metric, _, _, team, state, due, _ in expected:
        name = "sla_frt_pct" if metric == "first_response" else "sla_resolution_pct"
        cell = oracle.setdefault((team, name), [0, 0])
        if state in ("met", "missed"):  # a running timer past due counts once the notice worker sees it (none runs here)
            cell[0] += 1
            cell[1] += state == "met"
    for run in range(len(cuttings)):
        measured = {
            (team.split("-", 1)[1], name): list(value)
            for team, per_metric in counts.items() if team and team.startswith(f"R{run}-")
            for name, value in per_metric.items() if name != "sla_next_response_pct"
        }
        assert measured == oracle, f"cut at {cuttings[run]}"
