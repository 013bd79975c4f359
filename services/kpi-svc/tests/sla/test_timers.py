"""SLA timers from ticket events through the consumer's handler: start, pause, stop, reopen; the
team's calendar or the default; policies matched first by creation and applied to running clocks."""

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from csq_common.events import TicketAssigned, TicketClosed, TicketCreated, TicketFirstResponded, TicketReopened, TicketResolved
from kpi_svc.consumers import handle_events
from tests.sla.factories import add_calendar, add_policy, feed, ticket_event, timers

UTC = timezone.utc
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def test_a_paused_status_stops_the_clock_and_a_reopen_starts_a_new_resolution_clock(sessions):
    policy = await add_policy(sessions, at(-60))
    created = ticket_event(TicketCreated, "T-1", at(0), at(0), status="new")
    await feed(sessions, created)
    found = await timers(sessions)
    assert [(t.state, t.due_at, t.policy_id) for t in found["T-1", "first_response"]] == [("running", at(60), policy.id)]
    assert [(t.state, t.due_at) for t in found["T-1", "resolution"]] == [("running", at(240))]

    # Pending from minute 30 to minute 60: both clocks stop, then run again 30 minutes later.
    await feed(sessions, ticket_event(TicketAssigned, "T-1", at(30), at(0), status="pending"))
    found = await timers(sessions)
    assert [(t.state, t.due_at) for t in found["T-1", "first_response"]] == [("paused", None)]
    await feed(sessions, ticket_event(TicketAssigned, "T-1", at(60), at(0), status="open"))
    found = await timers(sessions)
    assert [(t.state, t.due_at) for t in found["T-1", "first_response"]] == [("running", at(90))]
    assert [(t.state, t.due_at) for t in found["T-1", "resolution"]] == [("running", at(270))]

    # Answered at 80 (met); resolved at 300, past the due time 270 (missed at 270).
    await feed(
        sessions,
        ticket_event(TicketFirstResponded, "T-1", at(80), at(0), status="open", first_response_at=at(80)),
        ticket_event(TicketResolved, "T-1", at(300), at(0), status="solved", first_response_at=at(80), resolved_at=at(300)),
        ticket_event(TicketClosed, "T-1", at(310), at(0), status="closed", first_response_at=at(80), resolved_at=at(300), closed_at=at(310)),
    )
    found = await timers(sessions)
    assert [(t.state, t.due_at, t.stopped_at) for t in found["T-1", "first_response"]] == [("met", None, at(80))]
    assert [(t.state, t.due_at, t.stopped_at) for t in found["T-1", "resolution"]] == [("missed", at(270), at(300))]

    # Reopened at 400: a new resolution clock of the full target; the old one keeps its result.
    await feed(sessions, ticket_event(TicketReopened, "T-1", at(400), at(0), status="open", first_response_at=at(80), resolved_at=at(300)))
    found = await timers(sessions)
    assert [(t.started_at, t.state, t.due_at) for t in found["T-1", "resolution"]] == [
        (at(0), "missed", at(270)), (at(400), "running", at(640))
    ]
    # A redelivered event changes nothing.
    await feed(sessions, created)
    assert [(t.state, t.due_at) for t in (await timers(sessions))["T-1", "resolution"]] == [("missed", at(270)), ("running", at(640))]


async def test_business_hours_use_the_team_calendar_else_the_default_with_china_make_up_days(sessions):
    await add_policy(sessions, at(-60), business_hours=True, first_response_seconds=2 * 3600)
    await add_calendar(sessions, at(-60), team_ids=["billing"])
    await add_calendar(sessions, at(-60), name="Default", tz="Europe/Berlin", country=None, default=True)
    shanghai, berlin = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin")
    # Friday 2026-10-09 17:00 in Shanghai: one hour that day, then Saturday Oct 10, a make-up
    # working day with Monday's hours, from 09:00.
    created = datetime(2026, 10, 9, 17, 0, tzinfo=shanghai)
    await feed(
        sessions,
        ticket_event(TicketCreated, "T-bj", created, created, status="new", team="billing"),
        ticket_event(TicketCreated, "T-de", created, created, status="new", team="tech"),
    )
    found = await timers(sessions)
    billing = found["T-bj", "first_response"][0]
    assert billing.due_at == datetime(2026, 10, 10, 10, 0, tzinfo=shanghai) and billing.business_hours is True
    # The tech team has no calendar: the default's (Berlin, no make-up days): Friday 11:00 there.
    assert found["T-de", "first_response"][0].due_at == datetime(2026, 10, 9, 13, 0, tzinfo=berlin)


async def test_the_first_policy_by_creation_that_matches_applies_also_to_clocks_already_running(sessions):
    complaint = ticket_event(TicketCreated, "T-2", at(0), at(0), status="new", priority="low", tags=["complaint", "退款"])
    plain = ticket_event(TicketCreated, "T-3", at(0), at(0), status="new", priority="low")
    answered = ticket_event(TicketFirstResponded, "T-3", at(10), at(0), status="open", priority="low", first_response_at=at(10))
    await feed(sessions, complaint, plain, answered)
    assert await timers(sessions) == {}  # no policy yet

    high = await add_policy(sessions, at(20), name="高优先级", priorities=["high", "urgent"], first_response_seconds=600)
    assert await timers(sessions) == {}  # covers neither ticket
    complaints = await add_policy(sessions, at(21), name="投诉", tags=["complaint", "repair"], first_response_seconds=1800)
    found = await timers(sessions)
    assert [(t.policy_id, t.due_at) for t in found["T-2", "first_response"]] == [(complaints.id, at(30))]
    assert ("T-3", "first_response") not in found  # answered before any policy covered it

    anything = await add_policy(sessions, at(22), name="默认", first_response_seconds=60, resolution_seconds=7200)
    found = await timers(sessions)
    assert found["T-2", "first_response"][0].policy_id == complaints.id  # created earlier: still first
    assert [(t.policy_id, t.due_at) for t in found["T-3", "resolution"]] == [(anything.id, at(120))]
    assert ("T-3", "first_response") not in found

    # A later ticket escalated to high moves to the high policy on its next event.
    await feed(sessions, ticket_event(TicketCreated, "T-4", at(30), at(30), status="new", priority="normal"))
    assert (await timers(sessions))["T-4", "first_response"][0].policy_id == anything.id
    await feed(sessions, ticket_event(TicketAssigned, "T-4", at(31), at(30), status="open", priority="urgent"))
    timer = (await timers(sessions))["T-4", "first_response"][0]
    assert (timer.policy_id, timer.due_at, timer.priority) == (high.id, at(40), "urgent")


async def test_a_new_calendar_moves_running_clocks_but_not_one_already_breached(sessions):
    always = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    await add_calendar(sessions, at(-60), name="全天", tz="UTC", country=None, hours=always, default=True)
    await add_policy(sessions, at(-60), business_hours=True, first_response_seconds=600, resolution_seconds=86400)
    # at(0) is Tuesday 2026-12-01 10:00 in Shanghai; T-5 comes at 08:00, before the office opens.
    await feed(sessions, ticket_event(TicketCreated, "T-5", at(-120), at(-120), status="new"))
    await feed(sessions, ticket_event(TicketCreated, "T-6", at(50), at(50), status="new"))
    found = await timers(sessions)
    assert found["T-5", "first_response"][0].due_at == at(-110) and found["T-6", "first_response"][0].due_at == at(60)
    # At minute 55 billing gets Shanghai office hours (Tuesday to Friday 09:00-18:00).
    await add_calendar(sessions, at(55), team_ids=["billing"])
    found = await timers(sessions)
    assert found["T-5", "first_response"][0].due_at == at(-110)  # breached already: kept (else 09:10)
    assert found["T-6", "first_response"][0].due_at == at(60)  # 10 business minutes, all before 18:00
    # Not due yet: 24 office hours from Tuesday 09:00 (9 h), Wednesday (9 h), Thursday 09:00-15:00 (6 h).
    assert found["T-5", "resolution"][0].due_at == datetime(2026, 12, 3, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


async def test_a_new_policy_waits_for_consumer_batches_in_flight_and_these_do_not_wait_for_each_other(db_backend, sessions):
    """PostgreSQL: the refresh a new policy starts holds the timers' lock alone and batches share
    it, so the two cannot deadlock on timer and counter rows taken in different orders."""
    if db_backend != "postgres":
        pytest.skip("SQLite runs one write transaction at a time")
    await add_policy(sessions, at(0), name="默认")
    first = ticket_event(TicketCreated, "T-1", at(1), at(1), status="new")
    other = ticket_event(TicketCreated, "T-2", at(1), at(1), status="new", team="tech", agent="A-8", channel="chat")
    running = ticket_event(TicketCreated, "T-3", at(1), at(1), status="new", team="sales", agent="A-9", channel="phone")
    await feed(sessions, running)
    async with sessions() as batch, sessions() as beside:
        await handle_events(batch, [first])  # a consumer batch, not committed yet
        await asyncio.wait_for(handle_events(beside, [other]), 5)  # another batch runs beside it
        await beside.commit()
        refresh = asyncio.create_task(add_policy(sessions, at(2), name="投诉", tags=["complaint"], first_response_seconds=600))
        await asyncio.sleep(0.5)
        assert not refresh.done()  # T-3's clock is untouched by the batch, yet the refresh waits for it
        await batch.commit()
        await asyncio.wait_for(refresh, 5)
    assert set(await timers(sessions)) >= {("T-1", "first_response"), ("T-2", "first_response"), ("T-3", "first_response")}


async def test_one_batch_of_thousands_of_tickets_under_a_policy_starts_and_stops_every_clock(sessions):
    """12,000 clocks in one batch: their reads go a few hundred keys at a time (one row-value IN
    list of them all overflowed PostgreSQL's parser stack and SQLite's limit on variables)."""
    await add_policy(sessions, at(0), name="默认")
    tickets = [f"T-{n:05d}" for n in range(6000)]
    await feed(sessions, *(ticket_event(TicketCreated, t, at(1), at(1), status="new") for t in tickets))
    await feed(sessions, *(ticket_event(TicketFirstResponded, t, at(5), at(1), status="open", first_response_at=at(5)) for t in tickets))
    found = await timers(sessions)
    assert len(found) == 12_000
    assert {(t.state, t.stopped_at) for t in (found[ticket, "first_response"][0] for ticket in tickets)} == {("met", at(5))}
    assert {found[ticket, "resolution"][0].state for ticket in tickets} == {"running"}


def test_a_tickets_class_at_a_moment_follows_its_events_in_time_order_whatever_order_they_came_in():
    from kpi_svc.sla.timers import TicketClocks

    clocks = TicketClocks("T-1", created_at=at(0), resolution_started_at=at(0), updated_at=at(0))
    assert clocks.class_at(at(5)) == (None, [])  # nothing recorded: the ticket as it stands
    for minute, priority, tags in ((0, "normal", ["咨询"]), (10, "normal", ["咨询"]), (30, "urgent", ["投诉"]), (20, "high", ["投诉"])):
        clocks.add_class(at(minute), priority, tags)
    # the repeat at 10 is no change; 20 came late, between the two changes around it
    assert clocks.class_changes == [(at(0), "normal", ["咨询"]), (at(20), "high", ["投诉"]), (at(30), "urgent", ["投诉"])]
    assert [clocks.class_at(at(m)) for m in (-5, 0, 19, 20, 29, 30, 99)] == [
        ("normal", ["咨询"]), ("normal", ["咨询"]), ("normal", ["咨询"]), ("high", ["投诉"]), ("high", ["投诉"]),
        ("urgent", ["投诉"]), ("urgent", ["投诉"]),
    ]
    clocks.add_class(at(20), "urgent", ["投诉"])  # at one instant the event applied last wins
    clocks.add_class(at(40), "urgent", ["投诉"])
    assert clocks.class_changes == [(at(0), "normal", ["咨询"]), (at(20), "urgent", ["投诉"]), (at(30), "urgent", ["投诉"])]
    clocks.add_class(at(20), "normal", ["咨询"])
    assert clocks.class_changes == [(at(0), "normal", ["咨询"]), (at(30), "urgent", ["投诉"])]
    assert [clocks.class_at(at(m)) for m in (25, 35)] == [("normal", ["咨询"]), ("urgent", ["投诉"])]


async def test_a_ticket_stored_before_its_class_changes_were_kept_starts_from_its_class_now(sessions):
    from sqlalchemy import update

    from kpi_svc.sla.models import SlaTicket
    from kpi_svc.sla.timers import _load_tickets

    await feed(sessions, ticket_event(TicketCreated, "T-1", at(0), at(0), status="new", priority="high", tags=["报修"]))
    await feed(sessions, ticket_event(TicketAssigned, "T-1", at(10), at(0), status="open", priority="urgent", tags=["报修"]))
    async with sessions() as session:
        assert (await _load_tickets(session, ["T-1"]))["T-1"].class_changes == [(at(0), "high", ["报修"]), (at(10), "urgent", ["报修"])]
        await session.execute(update(SlaTicket).values(class_changes=None))  # as migration 0015 leaves a stored ticket
        await session.commit()
    async with sessions() as session:
        clocks = (await _load_tickets(session, ["T-1"]))["T-1"]
    assert clocks.class_changes == [(at(10), "urgent", ["报修"])]
    assert clocks.class_at(at(5)) == clocks.class_at(at(50)) == ("urgent", ["报修"])
